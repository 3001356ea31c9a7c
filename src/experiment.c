/* experiment.c: (in progress) */
