/* core/contract.c — everything a binding needs to read the core, as one JSON document:
 * the config schema, the layouts of the step record, the verdict and the error record
 * (names and byte offsets), the cause ids with their bits, the category and error-code
 * names, the built-in datasets' shapes and the limits. The binding (wasm/accumlab.mjs)
 * reads records by these names; nothing in JS copies an offset or a bit.
 */
#include <stddef.h>
#include "accumlab.h"
#include "config.h"
#include "datasets.h"
#include "schema.h"

typedef struct { const char *name; size_t offset; const char *kind; } layout_entry;

#define REC(field, name, kind) {name, offsetof(al_step_record, field), kind}
#define MET(part, field, name, kind) {part##_NAME "." name, offsetof(al_step_record, part) + offsetof(al_metrics, field), kind}
#define grad_NAME "grad"
#define params_NAME "params"
#define same_point_NAME "samePoint"
#define METRICS(part) \
    MET(part, allclose, "allclose", "bool"), MET(part, bitwise, "bitwise", "bool"), \
    MET(part, max_abs_diff, "maxAbsDiff", "number"), MET(part, max_rel_diff, "maxRelDiff", "number"), \
    MET(part, max_ulp, "maxUlp", "number"), MET(part, cosine, "cosine", "number"), \
    MET(part, norm_ratio, "normRatio", "number"), MET(part, rel_norm_diff, "relNormDiff", "number"), \
    MET(part, scale, "scale", "number"), MET(part, scaled_residual, "scaledResidual", "number"), \
    MET(part, closeness, "closeness", "closeness")

/* Every double of al_step_record: "kind" number, bool (1/0), gradCategory (an index of
 * gradCategories) or closeness (of closeness). Dotted names nest (grad.allclose is
 * record.grad.allclose). */
static const layout_entry RECORD[] = {
    REC(step, "step", "number"), REC(loss_ref, "lossRef", "number"), REC(loss_acc, "lossAcc", "number"),
    REC(lr_ref, "lrRef", "number"), REC(lr_acc, "lrAcc", "number"), REC(group_size, "groupSize", "number"),
    REC(micro_batches, "microBatches", "number"), REC(grad_norm_ref, "gradNormRef", "number"),
    REC(grad_norm_acc, "gradNormAcc", "number"), REC(grad_category, "gradCategory", "gradCategory"),
    REC(diverged, "diverged", "bool"), REC(clipped, "clipped", "bool"),
    METRICS(grad), METRICS(params), METRICS(same_point),
    REC(unclipped_norm_ref, "unclipped.normRef", "number"), REC(unclipped_norm_acc, "unclipped.normAcc", "number"),
    REC(unclipped_norm_ratio, "unclipped.normRatio", "number"),
    REC(loss_scale, "lossScale", "number"), REC(skipped, "skipped", "bool"), REC(underflow, "underflow", "number"),
};

#define VER(field, name, kind) {name, offsetof(al_verdict, field), kind}
static const layout_entry VERDICT[] = {
    VER(grads, "grads", "int32"), VER(params, "params", "int32"), VER(causes, "causes", "int32"),
    VER(steps_done, "stepsDone", "int32"), VER(judged_steps, "judgedSteps", "int32"),
    VER(diverged_step, "divergedStep", "int32"), VER(first_different_step, "firstDifferentStep", "int32"),
    VER(k, "k", "int32"), VER(factor, "factor", "number"),
};

static const char *const GRAD_CATEGORIES[] = {"bitwise", "rounding", "scaled", "different", "unjudged", 0};
static const char *const CLOSENESS[] = {"bitwise", "allclose", "close_by_norm", "not_close", 0}; /* AL_CLOSE_* */
static const char *const PARAM_CATEGORIES[] = {"bitwise", "rounding", "different", "diverged", 0};
static const char *const ERROR_CODES[] = {"ok", "parse", "type", "unknown", "range", "shape", "limit", "memory", "state", 0};
static const char *const VECTORS[] = {"init", "paramsRef", "paramsAcc", "gradRef", "gradAcc", 0}; /* AL_VEC_* */

static void write_layout(al_out *o, const char *key, size_t bytes, const layout_entry *t, size_t n) {
    al_out_key(o, key);
    al_out_begin(o, '{');
    al_out_key(o, "bytes"); al_out_number(o, (double)bytes);
    al_out_key(o, "fields");
    al_out_begin(o, '[');
    for (size_t i = 0; i < n; i++) {
        al_out_item(o);
        al_out_begin(o, '{');
        al_out_key(o, "name"); al_out_string(o, t[i].name);
        al_out_key(o, "offset"); al_out_number(o, (double)t[i].offset);
        al_out_key(o, "kind"); al_out_string(o, t[i].kind);
        al_out_end(o, '}');
    }
    al_out_end(o, ']');
    al_out_end(o, '}');
}

static void write_names(al_out *o, const char *key, const char *const *names) {
    al_out_key(o, key);
    al_out_begin(o, '[');
    for (size_t i = 0; names[i]; i++) { al_out_item(o); al_out_string(o, names[i]); }
    al_out_end(o, ']');
}

static void write_int(al_out *o, const char *key, double x) { al_out_key(o, key); al_out_number(o, x); }

static void write_contract(al_out *o) {
    al_out_begin(o, '{');
    al_out_key(o, "version"); al_out_string(o, AL_VERSION);
    al_out_key(o, "schema"); al_schema_write(o);
    write_layout(o, "record", sizeof(al_step_record), RECORD, sizeof RECORD / sizeof *RECORD);
    write_layout(o, "verdict", sizeof(al_verdict), VERDICT, sizeof VERDICT / sizeof *VERDICT);
    al_out_key(o, "error");
    al_out_begin(o, '{');
    write_int(o, "bytes", sizeof(al_error));
    write_int(o, "code", offsetof(al_error, code));
    write_int(o, "field", offsetof(al_error, field));
    write_int(o, "fieldBytes", sizeof(((al_error *)0)->field));
    write_int(o, "message", offsetof(al_error, message));
    write_int(o, "messageBytes", sizeof(((al_error *)0)->message));
    al_out_end(o, '}');
    al_out_key(o, "causes");
    al_out_begin(o, '[');
    for (int i = 0, bit = 0; i < al_cause_count(); i++) {
        const char *id = al_cause_id(i, &bit);
        al_out_item(o);
        al_out_begin(o, '{');
        al_out_key(o, "id"); al_out_string(o, id);
        write_int(o, "bit", bit);
        al_out_end(o, '}');
    }
    al_out_end(o, ']');
    write_names(o, "gradCategories", GRAD_CATEGORIES);
    write_names(o, "paramCategories", PARAM_CATEGORIES);
    write_names(o, "closeness", CLOSENESS);
    write_names(o, "errorCodes", ERROR_CODES);
    write_names(o, "vectors", VECTORS);
    al_out_key(o, "datasets");
    al_out_begin(o, '[');
    for (int d = 0; d < AL_DATA_EXPLICIT; d++) {
        al_data_shape s = al_dataset_shape((al_data_name)d);
        al_out_item(o);
        al_out_begin(o, '{');
        al_out_key(o, "name"); al_out_string(o, al_option_name(AL_F_DATA_NAME, d));
        write_int(o, "inputs", s.inputs);
        write_int(o, "targets", s.targets);
        write_int(o, "classes", s.classes);
        write_int(o, "maxN", s.max_n);
        al_out_end(o, '}');
    }
    al_out_end(o, ']');
    al_out_key(o, "frameworks");
    al_frameworks_write(o);
    al_out_key(o, "limits");
    al_out_begin(o, '{');
    write_int(o, "layers", AL_MAX_LAYERS);
    write_int(o, "width", AL_MAX_WIDTH);
    write_int(o, "params", AL_MAX_PARAMS);
    write_int(o, "batch", AL_MAX_BATCH);
    write_int(o, "workers", AL_MAX_WORKERS);
    write_int(o, "samples", AL_MAX_SAMPLES);
    write_int(o, "steps", AL_MAX_STEPS);
    write_int(o, "arenaBytes", AL_MAX_ARENA_BYTES);
    al_out_end(o, '}');
    al_out_end(o, '}');
}

long al_contract_json(char *buf, long cap) {
    al_out o;
    al_out_init(&o, buf, cap > 0 ? (size_t)cap : 0);
    write_contract(&o);
    return (long)al_out_finish(&o);
}
