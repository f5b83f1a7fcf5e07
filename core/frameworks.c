/* core/frameworks.c — what each framework's accumulation loop does, as the lab's own knobs.
 *
 * A framework only picks defaults: every knob it sets is a field of its own (schema.c) and a
 * value the user gives wins. What they do, read in their sources (README "Frameworks" and the
 * presets quote file and version):
 *   lightning   each micro-batch loss / accumulate_grad_batches, the epoch's short last group
 *               too (loops/optimization/automatic.py); groups end with the epoch
 *   accelerate  accelerator.backward divides by gradient_accumulation_steps, the short tail
 *               too; sync_with_dataloader ends a group with the dataloader; a prepared
 *               scheduler steps num_processes times per optimizer step (scheduler.py)
 *   hf_trainer_before_4_46  the model's per-batch mean / gradient_accumulation_steps (a mean
 *               of means); total_batched_samples % k decides the step, across epochs
 *   hf_trainer  from 4.46: the summed loss / num_items_in_batch counted over the whole group
 *               (and across devices); a model without loss kwargs / the group's micro-batches
 *   deepspeed   engine.backward divides by gradient_accumulation_steps; the boundary is a
 *               global micro-step counter (runtime/engine.py), so groups cross epochs
 */
#include "config.h"
#include "schema.h"

typedef struct {
    al_correction correction;
    al_group_boundary boundary;
    al_last_group_divisor divisor;
    int scheduler_per_worker;   /* 1: the schedule moves `workers` steps per optimizer step */
} framework_loop;

static const framework_loop LOOPS[] = {
    [AL_FW_PYTORCH] = {AL_CORR_NONE, AL_BOUNDARY_EPOCH, AL_DIVISOR_ACCUM_STEPS, 0},
    [AL_FW_LIGHTNING] = {AL_CORR_SCALE_LOSS, AL_BOUNDARY_EPOCH, AL_DIVISOR_ACCUM_STEPS, 0},
    [AL_FW_ACCELERATE] = {AL_CORR_SCALE_LOSS, AL_BOUNDARY_EPOCH, AL_DIVISOR_ACCUM_STEPS, 1},
    [AL_FW_HF_TRAINER_BEFORE_4_46] = {AL_CORR_SCALE_LOSS, AL_BOUNDARY_GLOBAL, AL_DIVISOR_ACCUM_STEPS, 0},
    [AL_FW_HF_TRAINER] = {AL_CORR_GLOBAL_COUNT, AL_BOUNDARY_EPOCH, AL_DIVISOR_MICRO_BATCHES, 0},
    [AL_FW_DEEPSPEED] = {AL_CORR_SCALE_LOSS, AL_BOUNDARY_GLOBAL, AL_DIVISOR_ACCUM_STEPS, 0},
};

void al_framework_settle(al_config *c, int correction_given, int boundary_given, int divisor_given, int steps_given) {
    const framework_loop *f = &LOOPS[c->framework];
    if (!correction_given) c->correction = f->correction;
    if (!boundary_given) c->group_boundary = f->boundary;
    if (!divisor_given) c->last_group_divisor = f->divisor;
    if (!steps_given) c->scheduler_steps = f->scheduler_per_worker ? c->workers : 1;
}

/* The table for the contract: {name, correction, groupBoundary, lastGroupDivisor,
 * schedulerStepsPerWorker} for each framework, so the page and the checker say what a
 * framework sets without spelling it again. */
void al_frameworks_write(al_out *o) {
    al_out_begin(o, '[');
    for (int f = 0; f < (int)(sizeof LOOPS / sizeof *LOOPS); f++) {
        const framework_loop *l = &LOOPS[f];
        al_out_item(o);
        al_out_begin(o, '{');
        al_out_key(o, "name"); al_out_string(o, al_option_name(AL_F_FRAMEWORK, f));
        al_out_key(o, "correction"); al_out_string(o, al_option_name(AL_F_CORRECTION, (int)l->correction));
        al_out_key(o, "groupBoundary"); al_out_string(o, al_option_name(AL_F_GROUP_BOUNDARY, (int)l->boundary));
        al_out_key(o, "lastGroupDivisor"); al_out_string(o, al_option_name(AL_F_LAST_GROUP_DIVISOR, (int)l->divisor));
        al_out_key(o, "schedulerStepsPerWorker"); al_out_bool(o, l->scheduler_per_worker);
        al_out_end(o, '}');
    }
    al_out_end(o, ']');
}
