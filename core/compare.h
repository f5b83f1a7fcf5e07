/* core/compare.h — al_compare with what the experiment needs besides the metrics. */
#ifndef ACCUMLAB_COMPARE_H
#define ACCUMLAB_COMPARE_H

#include "accumlab.h"

/* al_compare that also gives |a| and |b| (the L2 norms, summed in double in index order, the
 * same bits as a separate pass) and returns 1 if every value of a and b is finite, else 0. */
int al_compare_norms(al_metrics *out, double *norm_a, double *norm_b, const float *a, const float *b,
                     long n, double rtol, double atol);

#endif
