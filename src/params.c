/* params.c: (in progress) */
