/* core/config_write.c — the effective config as JSON: every field of the schema, nested as
 * the input is, from an al_config (config.h: al_config_write). The experiment settles the
 * derived values first (loss, model.sizes, schedule.tMax), so what this writes re-runs the
 * same experiment. */
#include "config.h"

#include <string.h>
#include "schema.h"

static void write_floats(al_out *o, const float *x, long n) {
    al_out_begin(o, '[');
    for (long i = 0; i < n; i++) { al_out_item(o); al_out_float(o, x[i]); }
    al_out_end(o, ']');
}

static void write_ints(al_out *o, const int *x, int n) {
    al_out_begin(o, '[');
    for (int i = 0; i < n; i++) { al_out_item(o); al_out_number(o, x[i]); }
    al_out_end(o, ']');
}

static void write_rows(al_out *o, const float *x, long rows, long cols) {
    al_out_begin(o, '[');
    for (long i = 0; i < rows; i++) { al_out_item(o); write_floats(o, x + i * cols, cols); }
    al_out_end(o, ']');
}

static void write_list(const al_config *c, al_field_id id, al_out *o) {
    int explicit_data = c->data.name == AL_DATA_EXPLICIT;
    switch (id) {
    case AL_F_MODEL_SIZES: if (c->n_sizes) write_ints(o, c->sizes, c->n_sizes); else al_out_null(o); break;
    case AL_F_MODEL_HIDDEN: write_ints(o, c->hidden, c->n_hidden); break;
    case AL_F_MODEL_DROPOUT:
        if (c->n_dropout) write_floats(o, c->dropout, c->n_dropout);
        else al_out_float(o, c->dropout[0]);
        break;
    case AL_F_OPT_BETAS: {
        al_out_begin(o, '[');
        al_out_item(o); al_out_number(o, c->optimizer.beta1);
        al_out_item(o); al_out_number(o, c->optimizer.beta2);
        al_out_end(o, ']');
        break;
    }
    case AL_F_DATA_INPUTS:
        if (explicit_data && c->data.inputs) write_rows(o, c->data.inputs, c->data.rows, c->data.in_dim);
        else al_out_null(o);
        break;
    case AL_F_DATA_TARGETS:
        if (!explicit_data || !c->data.targets) al_out_null(o);
        else if (c->data.class_targets) write_floats(o, c->data.targets, c->data.rows);
        else write_rows(o, c->data.targets, c->data.rows, c->data.target_dim);
        break;
    case AL_F_DATA_MASK:
        if (explicit_data && c->data.mask) write_rows(o, c->data.mask, c->data.rows, c->data.target_dim);
        else al_out_null(o);
        break;
    case AL_F_INIT:
        if (c->init_torch) al_out_string(o, "torch");
        else if (c->init) write_floats(o, c->init, (long)c->init_len);
        else al_out_null(o);
        break;
    default: al_out_null(o); break;
    }
}

static void write_value(const al_config *c, const al_field *f, al_out *o) {
    int explicit_data = c->data.name == AL_DATA_EXPLICIT;
    al_field_id id = (al_field_id)(f - al_fields());
    if (explicit_data && (id == AL_F_DATA_NAME || id == AL_F_DATA_N || id == AL_F_DATA_NOISE ||
                          id == AL_F_DATA_SEED || id == AL_F_DATA_GENERATOR)) { al_out_null(o); return; }
    if (id == AL_F_SCHED_T_MAX && c->schedule.t_max == 0) { al_out_null(o); return; }
    if (f->list) { write_list(c, id, o); return; }
    switch (f->type) {
    case AL_FT_ENUM: al_out_string(o, f->options[(int)al_field_get(c, f)]); break;
    case AL_FT_BOOL: al_out_bool(o, al_field_get(c, f) != 0); break;
    default: al_out_number(o, al_field_get(c, f)); break;
    }
}

static void write_object(const al_config *c, const char *parent, al_out *o) {
    const al_field *t = al_fields();
    al_out_begin(o, '{');
    for (int i = 0; i < AL_FIELD_COUNT; i++) {
        if (!al_field_is_child(&t[i], parent)) continue;
        al_out_key(o, al_field_name(t[i].path));
        if (t[i].type == AL_FT_OBJECT) write_object(c, t[i].path, o);
        else write_value(c, &t[i], o);
    }
    al_out_end(o, '}');
}

void al_config_write(const al_config *c, al_out *o) { write_object(c, "", o); }
