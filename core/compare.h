/* core/compare.h — al_compare with what the experiment needs besides the metrics. */
#ifndef ACCUMLAB_COMPARE_H
#define ACCUMLAB_COMPARE_H

#include "accumlab.h"

/* The order of the sums (a·b, |a|², |b|², |a-b|² and the residual |a-c·b|²), the same in
 * every build so that every build gives the same bits: each term is formed in double from
 * the two floats; the terms of index i go to lane i mod 4; each lane adds its terms in
 * index order into a double that starts at +0; the sum is (lane 0 + lane 2) + (lane 1 +
 * lane 3). Four independent chains instead of one: an index-order sum waits for each
 * addition before the next, which bounded the comparison's speed. */

/* al_compare that also gives |a| and |b| (the L2 norms: the square roots of the sums above,
 * the same bits as a separate pass in that order) and returns 1 if every value of a and b
 * is finite, else 0. */
int al_compare_norms(al_metrics *out, double *norm_a, double *norm_b, const float *a, const float *b,
                     long n, double rtol, double atol);

/* al_compare_norms of (a1, b) into out1 and of (a2, b) into out2, the same bits as two calls,
 * in one pass over the three vectors where both pairs differ from their first block on (b
 * loaded, converted and squared once): the accumulated run's gradient and the same point's,
 * against the reference's. norm_b: |b| (may be NULL, as the norms). Returns bit 0 set if
 * a1 and b are finite, bit 1 if a2 and b are. */
int al_compare_pair(al_metrics *out1, double *norm_a1, al_metrics *out2, double *norm_a2, double *norm_b,
                    const float *a1, const float *a2, const float *b, long n, double rtol, double atol);

#endif
