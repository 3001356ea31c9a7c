/* main.c: (in progress) */
