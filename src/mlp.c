/* mlp.c: (in progress) */
