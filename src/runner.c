/* runner.c: (in progress) */
