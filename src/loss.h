/* loss.h: training losses on network outputs.
 * Outputs F and targets Y are (b, c) row-major. */
#ifndef GN_LOSS_H
#define GN_LOSS_H

typedef enum { GN_LOSS_SQUARE = 0 } gn_loss_kind;

typedef struct gn_loss_info {
    const char *name, *summary;
} gn_loss_info;

extern const gn_loss_info gn_losses[]; /* ends with {NULL} */
int gn_loss_parse(const char *name, gn_loss_kind *out); /* 0 or -1 */

/* Mean over the b samples of the per-sample loss. */
double gn_loss_value(gn_loss_kind k, const double *F, const double *Y, int b, int c);
/* G (b, c) = dL/dF of the mean loss (so it carries the 1/b). */
void gn_loss_grad(gn_loss_kind k, const double *F, const double *Y, int b, int c,
                  double *G);

#endif
