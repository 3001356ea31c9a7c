/* rng.c: (in progress) */
