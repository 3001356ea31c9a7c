/* loss.c: (in progress) */
