/* chol.c: (in progress) */
