/* csvio.c: (in progress) */
