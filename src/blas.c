/* blas.c: (in progress) */
