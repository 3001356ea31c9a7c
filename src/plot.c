/* plot.c: (in progress) */
