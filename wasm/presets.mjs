// wasm/presets.mjs — the lab's presets: one per question of DESIGN.md, plus the two cases
// that started it all. Each is a config, the verdict it must produce (tests/node/presets.test.mjs
// fails if a run stops showing it), and a short text: what you see, why, the fix, the fix in
// a PyTorch loop. Shared by the page, the CLI (--preset) and course scripts.

const MOONS = { data: { name: 'moons', n: 256 }, steps: 20 };
const DIGITS_32_VS_8X4 = {
  data: { name: 'digits', n: 1797 }, model: { sizes: [64, 32, 32, 10], activation: 'relu' },
  loss: 'cross_entropy', reduction: 'mean', batchSize: 8, accumSteps: 4, steps: 40, optimizer: { name: 'sgd', lr: 0.5 },
};
// The forum's own tensors and model: torch.manual_seed(1); x = torch.rand(2, 4); y = torch.rand(2, 2);
// torch.manual_seed(2); nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)) — PyTorch's numbers, bit for bit.
const FORUM = {
  seed: 2, init: 'torch', data: { name: 'seed_example', n: 2, shuffle: false, generator: 'torch', seed: 1 },
  model: { sizes: [4, 8, 2], activation: 'relu' }, loss: 'l1', batchSize: 1, accumSteps: 2, steps: 5,
};

// 40 samples in groups of 8 × 4: one full group and a last group of one micro-batch per epoch.
const FORTY = { data: { name: 'moons', n: 40 }, batchSize: 8, accumSteps: 4, steps: 10 };
// Half the targets masked, as padding tokens are: micro-batches hold different numbers of valid targets.
const TOKENS = { data: { name: 'seed_example', n: 256, maskFraction: 0.5 }, loss: 'mse', steps: 20 };

const LOOP_SCALED = `for i, (x, y) in enumerate(loader):          # micro-batches of m
    loss = criterion(model(x), y) / k           # mean over m, then / k
    loss.backward()                             # adds into p.grad
    if (i + 1) % k == 0:
        optimizer.step()
        optimizer.zero_grad()`;

export const PRESETS = [
  {
    id: 'poorer-results', group: '“My results are worse with accumulation”', question: 1,
    title: '“batch 32 vs batch 8 × 4 gives poorer results”',
    config: { ...DIGITS_32_VS_8X4 },
    expect: { grads: 'scaled', params: 'different', causes: ['mean_unscaled'], factor: 4 },
    text: {
      see: 'The accumulated gradient is exactly 4× the big batch’s (norm ratio 4, cosine 1), so every step is 4× too long; with lr 0.5 the accumulated run trains worse (higher loss).',
      why: 'Each micro-batch loss is a mean over 8 samples. Adding 4 such gradients gives Σⱼ (1/8) Σ∇ℓ = 4 · (1/32) Σ∇ℓ: four times the mean over the 32 samples of the big batch.',
      fix: 'Divide each micro-batch loss by k = 4 (correction scale_loss).',
      code: LOOP_SCALED,
    },
  },
  {
    id: 'poorer-results-fixed', group: '“My results are worse with accumulation”', question: 1,
    title: '… fixed: divide the loss by k',
    config: { ...DIGITS_32_VS_8X4, correction: 'scale_loss' },
    expect: { grads: 'rounding', params: 'rounding', causes: ['summation_order'] },
    text: {
      see: 'Gradients and parameters agree up to float rounding at every step: the two loss curves lie on top of each other.',
      why: '(1/4) Σⱼ (1/8) Σ∇ℓ = (1/32) Σ∇ℓ. Only the grouping of the sums differs (within micro-batches, then across), so the last bits differ, not the values.',
      fix: 'This is the fix. Sum reduction (and no division) is equally exact.',
      code: LOOP_SCALED,
    },
  },
  {
    id: 'poorer-results-dropout', group: '“My results are worse with accumulation”', question: 3,
    title: '… with dropout: different again',
    config: { ...DIGITS_32_VS_8X4, correction: 'scale_loss', model: { ...DIGITS_32_VS_8X4.model, dropout: 0.2 }, dropoutRng: 'stream' },
    expect: { grads: 'different', params: 'different', causes: ['dropout_stream'] },
    text: {
      see: 'With the loss scaled correctly, the gradients differ again from step 1 once dropout is on.',
      why: 'Both runs draw masks from their own generator, seeded the same, in call order. The big batch draws layer 1 for 32 samples, then layer 2; accumulation draws layer 1 and layer 2 for 8 samples at a time. So the numbers that make sample 9’s layer-1 mask in the big batch make sample 1’s layer-2 mask in the accumulated run: different masks, different gradients. (With one dropout layer the order would match.)',
      fix: 'Draw each mask from a key (seed, step, layer, sample, unit) instead of a stream (dropoutRng keyed), or accept that dropout noise differs, as it would between any two runs.',
      code: `# a mask that depends on the sample, not on the call order
g = torch.Generator().manual_seed(hash((seed, step, layer, int(sample_id))))
mask = (torch.rand(units, generator=g) >= p) / (1 - p)`,
    },
  },
  {
    id: 'poorer-results-keyed', group: '“My results are worse with accumulation”', question: 3,
    title: '… with keyed dropout masks: equal',
    config: { ...DIGITS_32_VS_8X4, correction: 'scale_loss', model: { ...DIGITS_32_VS_8X4.model, dropout: 0.2 }, dropoutRng: 'keyed' },
    expect: { grads: 'rounding', params: 'rounding', causes: ['summation_order'] },
    text: {
      see: 'Equal up to rounding again, dropout and all.',
      why: 'A keyed mask depends only on (seed, step, layer, sample, unit), so every sample gets the same mask whichever micro-batch it lands in.',
      fix: 'Keyed (counter-based) masks, as JAX’s split keys or Philox offsets give.',
      code: LOOP_SCALED,
    },
  },
  {
    id: 'forum-sum', group: '“Sum or mean: which one accumulates exactly?”', question: 2,
    title: 'Forum example: sum reduction, lr 0.1',
    config: { ...FORUM, reduction: 'sum', optimizer: { name: 'sgd', lr: 0.1 } },
    expect: { grads: 'bitwise', params: 'bitwise', causes: [] },
    text: {
      see: 'MLP 4-8-2, ReLU, L1 loss, two samples, one per micro-batch: gradients and parameters are identical. These are the forum’s own tensors and initial weights, bit for bit (torch.manual_seed(1) for the data, 2 for the model): the PyTorch script prints the same losses.',
      why: 'A sum over 2 samples is the same sum whether it is taken at once or as 0 + ℓ₁ + ℓ₂ in .grad; with one sample per micro-batch even the grouping is the same, so the bits match.',
      fix: 'Nothing to fix: reduction="sum" accumulates exactly.',
      code: `criterion = nn.L1Loss(reduction="sum")
for x, y in zip(xs, ys):            # one sample per micro-batch
    criterion(model(x), y).backward()
optimizer.step()                    # same as one step on both samples`,
    },
  },
  {
    id: 'forum-mean-lr', group: '“Sum or mean: which one accumulates exactly?”', question: 8,
    title: 'Forum example: mean reduction, lr 1.0 vs 0.5',
    config: { ...FORUM, reduction: 'mean', correction: 'scale_lr', optimizer: { name: 'sgd', lr: 1.0 } },
    expect: { grads: 'scaled', params: 'bitwise', causes: ['scale_lr'], factor: 2 },
    text: {
      see: 'The gradients differ by exactly 2×, yet the parameters are identical (the forum’s own tensors and weights, as in forum-sum).',
      why: 'The batch of 2 averages: g = (∇ℓ₁ + ∇ℓ₂)/2. Accumulation adds two means of 1: ∇ℓ₁ + ∇ℓ₂ = 2g. SGD with lr 0.5 on 2g moves exactly as lr 1.0 on g.',
      fix: 'Scaling the lr by 1/k is exact for plain SGD and momentum, not with weight decay or Adam: scale the loss instead.',
      code: `optimizer = torch.optim.SGD(model.parameters(), lr=1.0 / k)   # only for plain SGD`,
    },
  },
  {
    id: 'sum-reduction', group: 'Is my loss scaled right?', question: 2,
    title: 'Sum reduction: equal up to rounding',
    config: { ...MOONS, reduction: 'sum', optimizer: { name: 'sgd', lr: 0.01 } },
    expect: { grads: 'rounding', params: 'rounding', causes: ['summation_order'] },
    text: {
      see: 'Step 1: allclose, but not bitwise (tens of ULPs apart). Later, a few entries near zero, where one ULP is tiny, fail the element-wise allclose, yet each gradient as a whole agrees to about 1e-7 (norm-wise diff): rounding, not a bug.',
      why: 'Σ over 32 samples in one chain and (Σ over 8) + (Σ over 8) + … group the same additions differently; float addition is not associative, so the last bits differ.',
      fix: 'Nothing to fix. Compare with torch.allclose, never with ==. A sum-reduced gradient is m·k times a mean one: lower the lr accordingly.',
      code: `loss = F.cross_entropy(model(x), y, reduction="sum")   # no / k needed
loss.backward()`,
    },
  },
  {
    id: 'dropout', group: 'Do dropout and BatchNorm break it?', question: 3,
    title: 'Dropout: stream masks differ',
    config: { ...MOONS, correction: 'scale_loss', model: { dropout: 0.3 }, dropoutRng: 'stream' },
    expect: { grads: 'different', params: 'different', causes: ['dropout_stream'] },
    text: {
      see: 'With two dropout layers the gradients differ from the first step.',
      why: 'Masks come from one generator in call order: layer 1 for all 32, then layer 2 (big batch) vs layers 1 and 2 for 8 samples at a time (accumulation). Same numbers, handed to different units.',
      fix: 'dropoutRng keyed: masks keyed by (seed, step, layer, sample, unit).',
      code: LOOP_SCALED,
    },
  },
  {
    id: 'dropout-keyed', group: 'Do dropout and BatchNorm break it?', question: 3,
    title: 'Dropout: keyed masks are exact',
    config: { ...MOONS, correction: 'scale_loss', model: { dropout: 0.3 }, dropoutRng: 'keyed' },
    expect: { grads: 'rounding', params: 'rounding', causes: ['summation_order'] },
    text: {
      see: 'Equal up to rounding with dropout on.',
      why: 'Each sample’s mask depends on its key, not on when it was drawn.',
      fix: 'This is the fix.',
      code: LOOP_SCALED,
    },
  },
  {
    id: 'batchnorm', group: 'Do dropout and BatchNorm break it?', question: 4,
    title: 'BatchNorm: statistics over m, not m·k',
    config: { ...MOONS, correction: 'scale_loss', model: { norm: 'batchnorm' } },
    expect: { grads: 'different', params: 'different', causes: ['batchnorm'] },
    text: {
      see: 'The gradients differ from step 1, even with the loss scaled.',
      why: 'BatchNorm normalises each micro-batch with the mean and variance of its 8 samples, not of all 32, so every sample’s output (and gradient) changes; its running statistics are also updated 4 times per step instead of once.',
      fix: 'LayerNorm (per sample) accumulates exactly; with BatchNorm, accept the difference or use larger micro-batches.',
      code: `nn.Sequential(nn.Linear(2, 16), nn.LayerNorm(16), nn.Tanh(), ...)   # instead of BatchNorm1d`,
    },
  },
  {
    id: 'layernorm', group: 'Do dropout and BatchNorm break it?', question: 4,
    title: 'LayerNorm stays exact',
    config: { ...MOONS, correction: 'scale_loss', model: { norm: 'layernorm' } },
    expect: { grads: 'rounding', params: 'rounding', causes: ['summation_order'] },
    text: {
      see: 'Equal up to rounding.',
      why: 'LayerNorm normalises each sample over its own features: nothing crosses samples, so splitting the batch changes nothing.',
      fix: 'This is the fix.',
      code: LOOP_SCALED,
    },
  },
  {
    id: 'clipping', group: 'Where do clipping and the scheduler go?', question: 5,
    title: 'Clipping every micro-batch',
    config: { ...MOONS, correction: 'scale_loss', clipGradNorm: 0.1, clipPlacement: 'per_micro_batch' },
    expect: { grads: 'different', params: 'different', causes: ['clip_per_micro_batch'] },
    text: {
      see: 'The gradients differ: the accumulated one was clipped on partial sums.',
      why: 'clip_grad_norm_ inside the micro-batch loop rescales .grad after each backward, so early micro-batches are shrunk again and again; the big batch clips the full gradient once.',
      fix: 'Clip once, after the last backward, right before optimizer.step() (clipPlacement after_accumulation).',
      code: `    loss.backward()
    if (i + 1) % k == 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)   # here, once
        optimizer.step()
        optimizer.zero_grad()`,
    },
  },
  {
    id: 'scheduler', group: 'Where do clipping and the scheduler go?', question: 6,
    title: 'Scheduler stepped every micro-batch',
    config: { ...MOONS, correction: 'scale_loss', schedule: { name: 'cosine' }, schedulerStepping: 'per_micro_batch' },
    expect: { grads: 'rounding', params: 'different', causes: ['scheduler_per_micro_batch'] },
    text: {
      see: 'The gradients agree at step 1, but the learning rates do not, so the parameters part.',
      why: 'scheduler.step() after every backward advances the schedule k = 4 times per optimizer step: the cosine reaches its end after a quarter of the steps.',
      fix: 'Step the scheduler once per optimizer step.',
      code: `    if (i + 1) % k == 0:
        optimizer.step()
        scheduler.step()          # here, not after every backward
        optimizer.zero_grad()`,
    },
  },
  {
    id: 'uneven-last-group', group: 'Is my loss scaled right?', question: 7,
    title: 'The last, uneven group',
    config: { data: { name: 'moons', n: 100 }, correction: 'scale_loss', steps: 8 },
    expect: { grads: 'different', params: 'different', causes: ['uneven_last_group'] },
    text: {
      see: 'Equal until the epoch’s last group (100 = 3 × 32 + 4): there the gradients differ.',
      why: 'The last group has 4 samples in one micro-batch. Dividing its mean by k = 4 makes its gradient 4× too small; the big batch simply averages its 4 samples.',
      fix: 'Sum the loss and divide by the number of items in the whole group (correction global_count), or drop the last group.',
      code: `n = sum(len(y) for _, y in group)                       # items in this group
for x, y in group:
    (criterion(model(x), y, reduction="sum") / n).backward()
optimizer.step(); optimizer.zero_grad()`,
    },
  },
  {
    id: 'num-items-in-batch', group: 'Is my loss scaled right?', question: 7,
    title: 'Variable valid targets: num_items_in_batch',
    config: { data: { name: 'seed_example', n: 256, maskFraction: 0.5 }, loss: 'mse', correction: 'scale_loss', steps: 20 },
    expect: { grads: 'different', params: 'different', causes: ['variable_targets'] },
    text: {
      see: 'With half the targets masked (as padding tokens are), scaling by 1/k is not enough: the gradients differ.',
      why: 'Each micro-batch averages over its own number of valid targets nⱼ; (1/k) Σⱼ Sⱼ/nⱼ weights a target in a sparse micro-batch more than one in a dense micro-batch. The big batch divides Σ Sⱼ by Σ nⱼ.',
      fix: 'Sum the loss and divide by the valid targets of the whole group (correction global_count: the num_items_in_batch fix).',
      code: `num_items = sum((y != -100).sum() for _, y in group)
for x, y in group:
    (F.cross_entropy(model(x), y, reduction="sum", ignore_index=-100) / num_items).backward()`,
    },
  },
  {
    id: 'scale-lr-weight-decay', group: 'Is my loss scaled right?', question: 8,
    title: 'Scaling the lr with weight decay',
    config: { ...MOONS, correction: 'scale_lr', optimizer: { name: 'sgd', lr: 0.1, weightDecay: 0.05 } },
    expect: { grads: 'scaled', params: 'different', causes: ['scale_lr', 'scale_lr_weight_decay'], factor: 4 },
    text: {
      see: 'Gradients 4× (by design), and this time the parameters differ.',
      why: 'SGD adds wd·p to the gradient: (lr/4)(4g + wd·p) = lr·g + (lr/4)·wd·p. The data term matches, the decay is 4× too weak.',
      fix: 'Scale the loss, not the lr, when weight decay is on (or for Adam).',
      code: LOOP_SCALED,
    },
  },
  {
    id: 'adam-unscaled', group: 'Is my loss scaled right?', question: 8,
    title: 'Adam barely notices the unscaled mean',
    config: { ...MOONS, optimizer: { name: 'adam', lr: 0.01 } },
    expect: { grads: 'scaled', params: 'rounding', causes: ['mean_unscaled', 'adam_scale'], factor: 4 },
    text: {
      see: 'The gradient is 4× too large, yet the parameters stay within rounding of the big batch’s.',
      why: 'Adam steps by m/(√v + eps): scaling g by 4 scales m by 4 and √v by 4, so only eps notices. SGD, given the same 4× gradient, steps 4× too far.',
      fix: 'Still divide the loss by k: correct for every optimizer, and eps then means what you set.',
      code: LOOP_SCALED,
    },
  },
  // --- 9. what your framework does (read in their sources; versions and files in `source`)
  {
    id: 'lightning-short-group', group: '“What does my framework do?”', question: 9,
    title: 'Lightning: the short last group steps 1/4 too small',
    config: { ...FORTY, framework: 'lightning' },
    expect: { grads: 'different', params: 'different', causes: ['uneven_last_group'] },
    text: {
      see: 'Every second step is the epoch’s last group (40 = 32 + 8: one micro-batch of 8). There the accumulated gradient is exactly 1/4 of the big batch’s; the full groups agree up to rounding.',
      why: 'Trainer(accumulate_grad_batches=4) divides every micro-batch loss by 4, also in the epoch’s short last group, which it still steps at the end of the epoch. One micro-batch’s mean divided by 4 is 1/4 of that group’s mean.',
      fix: 'Make the epoch divide into whole groups (number of batches a multiple of k), or divide the short group by its own micro-batches (lastGroupDivisor micro_batches), as the HF Trainer does now.',
      source: 'Lightning 2.6.5: src/lightning/pytorch/loops/optimization/automatic.py (closure_loss / accumulate_grad_batches), loops/training_epoch_loop.py (_should_accumulate steps on the epoch’s last batch); issue #19987 (open).',
      code: `trainer = L.Trainer(accumulate_grad_batches=4)   # divides each loss by 4
# 5 batches per epoch: 4 make a group, the 5th steps alone with loss / 4
trainer.fit(model, DataLoader(ds, batch_size=8))`,
    },
  },
  {
    id: 'accelerate-scheduler', group: '“What does my framework do?”', question: 9,
    title: 'Accelerate on 2 GPUs: the scheduler steps twice per step',
    config: { ...MOONS, framework: 'accelerate', workers: 2, schedule: { name: 'cosine' } },
    expect: { grads: 'rounding', params: 'different', causes: ['scheduler_steps_multiplied'] },
    text: {
      see: 'The gradients agree at every step (each of 2 workers accumulates 4 × 8, DDP averages), but the accumulated run’s learning rate runs ahead: the cosine ends after half the steps.',
      why: 'A scheduler passed to accelerator.prepare steps num_processes times per optimizer step unless split_batches=True, because Accelerate expects a schedule sized in single-process steps. The big batch of 64 takes one scheduler step per optimizer step.',
      fix: 'Size the schedule for num_processes × the optimizer steps (what Accelerate expects), or step an unprepared scheduler once per optimizer step (schedulerStepsPerOptimizerStep 1).',
      source: 'Accelerate 1.14.0: src/accelerate/scheduler.py (AcceleratedScheduler.step: for _ in range(num_processes)); accelerator.py (backward divides by gradient_accumulation_steps).',
      code: `accelerator = Accelerator(gradient_accumulation_steps=4)
model, opt, loader, sched = accelerator.prepare(model, opt, loader, sched)
for x, y in loader:
    with accelerator.accumulate(model):
        accelerator.backward(criterion(model(x), y))
        opt.step(); sched.step(); opt.zero_grad()   # sched steps num_processes times`,
    },
  },
  {
    id: 'hf-trainer-before-4-46', group: '“What does my framework do?”', question: 9,
    title: 'HF Trainer up to 4.45: a mean of means',
    config: { ...TOKENS, framework: 'hf_trainer_before_4_46' },
    expect: { grads: 'different', params: 'different', causes: ['variable_targets'] },
    text: {
      see: 'With half the targets masked (as padding tokens are), the accumulated gradient differs from the big batch’s from step 1.',
      why: 'The Trainer up to 4.45 takes each micro-batch’s own per-token mean and divides it by gradient_accumulation_steps: a mean of means, which weights a token in a short micro-batch more than one in a long micro-batch (the October 2024 bug). Its step counter also runs across epochs (total_batched_samples % k).',
      fix: 'Upgrade (from 4.46 the loss is the summed token loss divided by num_items_in_batch of the whole group: correction global_count), or pass num_items_in_batch to your own loss.',
      source: 'transformers 4.45 (commit a55adee8): src/transformers/trainer.py _inner_training_loop (total_batched_samples % args.gradient_accumulation_steps), accelerator.backward divides by k; fixed by PRs #34191, #34198.',
      code: `args = TrainingArguments(per_device_train_batch_size=8, gradient_accumulation_steps=4)
# up to 4.45: loss = model(**batch).loss  (mean over this batch's tokens) / 4`,
    },
  },
  {
    id: 'hf-trainer', group: '“What does my framework do?”', question: 9,
    title: '… the current HF Trainer: exact with num_items_in_batch',
    config: { ...TOKENS, framework: 'hf_trainer' },
    expect: { grads: 'rounding', params: 'rounding', causes: ['summation_order'] },
    text: {
      see: 'The same masked targets: now gradients and parameters agree up to rounding at every step.',
      why: 'The Trainer counts the valid targets of the whole group (num_items_in_batch, across devices with average_tokens_across_devices) and divides each micro-batch’s summed loss by it, so the k gradients add up to the big batch’s mean. A model without loss kwargs is divided by the group’s actual number of micro-batches.',
      fix: 'Nothing to fix. A custom compute_loss must accept num_items_in_batch and use it.',
      source: 'transformers main (2025): src/transformers/trainer.py get_batch_samples (num_items_in_batch over the group), training_step (loss *= num_processes with average_tokens_across_devices; self.current_gradient_accumulation_steps = len(batch_samples)); PRs #34191, #34198, #34511, #39395.',
      code: `def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
    logits = model(**inputs).logits
    loss = F.cross_entropy(logits.flatten(0, 1), inputs["labels"].flatten(), reduction="sum", ignore_index=-100)
    return loss / num_items_in_batch          # the whole group's valid tokens`,
    },
  },
  {
    id: 'deepspeed-epoch-boundary', group: '“What does my framework do?”', question: 9,
    title: 'DeepSpeed: groups run across the end of an epoch',
    config: { ...FORTY, framework: 'deepspeed' },
    expect: { grads: 'rounding', params: 'rounding', causes: ['summation_order'] },
    text: {
      see: 'The same 40 samples as the Lightning story, but every step has 4 micro-batches and the runs agree up to rounding: step 2 is epoch 1’s last micro-batch and epoch 2’s first three.',
      why: 'DeepSpeed steps when a global micro-step counter reaches a multiple of gradient_accumulation_steps, never reset at an epoch’s end, so there is no short group; engine.backward divides each loss by k, and each group really has k micro-batches.',
      fix: 'Nothing to fix for the scale. Know that an epoch’s last micro-batches are stepped together with the next epoch’s first ones (matters for per-epoch evaluation or schedules).',
      source: 'DeepSpeed 0.19.5: deepspeed/runtime/engine.py (is_gradient_accumulation_boundary: (micro_steps + 1) % gradient_accumulation_steps == 0; the loss or, since 0.18.3, the gradients divided by gradient_accumulation_steps).',
      code: `ds_config = {"train_micro_batch_size_per_gpu": 8, "gradient_accumulation_steps": 4}
engine, *_ = deepspeed.initialize(model=model, config=ds_config, model_parameters=model.parameters())
for x, y in loader:                 # epoch after epoch
    engine.backward(criterion(engine(x), y))   # / 4 inside
    engine.step()                   # steps only on the 4th micro-batch`,
    },
  },
  // --- 10. data parallelism: W workers
  {
    id: 'ddp-sum-loss', group: '“What changes with several GPUs?”', question: 10,
    title: 'DDP with a sum loss: half the gradient on 2 GPUs',
    config: { ...MOONS, workers: 2, reduction: 'sum', optimizer: { lr: 0.005 } },
    expect: { grads: 'scaled', params: 'different', causes: ['world_size_average'], factor: 0.5 },
    text: {
      see: 'The accumulated gradient is exactly 0.5× the big batch’s at every step: 2 workers, each summing 4 micro-batches of 8, against one process summing all 64.',
      why: 'DistributedDataParallel averages gradients over the world size W. For a mean loss that is right; a sum-reduced loss is then Σ/W: each worker’s sum over its 32 samples, averaged, is half the sum over 64.',
      fix: 'Multiply a summed loss by the world size (as the HF Trainer does with average_tokens_across_devices), or use a mean loss divided by k.',
      source: 'PyTorch 1.13 torch/csrc/distributed/c10d/reducer.cpp (gradients divided by the world size before the all-reduce sum); torch/utils/data/distributed.py (indices[rank::num_replicas]).',
      code: `model = DDP(model)                                # averages over world_size
for i, (x, y) in enumerate(loader):              # this rank's samples
    loss = criterion(model(x), y, reduction="sum") * dist.get_world_size()
    with model.no_sync() if (i + 1) % k else contextlib.nullcontext():
        loss.backward()`,
    },
  },
  {
    id: 'syncbatchnorm-accumulation', group: '“What changes with several GPUs?”', question: 10,
    title: 'SyncBatchNorm is still not the big batch under accumulation',
    config: { ...MOONS, workers: 2, correction: 'scale_loss', model: { norm: 'batchnorm' }, syncBatchNorm: true },
    expect: { grads: 'different', params: 'different', causes: ['batchnorm'] },
    text: {
      see: 'Even with SyncBatchNorm over both workers the gradients differ from step 1.',
      why: 'SyncBatchNorm takes the statistics of all workers’ micro-batches of one forward: 2 × 8 = 16 samples, not the 64 of the whole group. With k = 1 it would be the big batch (try accumSteps 1); accumulation still cuts the group into micro-steps.',
      fix: 'Use LayerNorm or GroupNorm (per sample), or accept BatchNorm’s noise: it cannot be accumulated exactly.',
      source: 'PyTorch 1.13 torch/nn/modules/batchnorm.py SyncBatchNorm.forward and torch/nn/modules/_functions.py (statistics gathered over the process group for the current forward only).',
      code: `model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
model = DDP(model)     # statistics over all ranks of ONE micro-batch, not the group`,
    },
  },
  // --- 11. precision: .grad in bf16 or fp16, and loss scaling done right and wrong
  {
    id: 'bf16-accumulation', group: '“Can I accumulate in bf16?”', question: 11,
    title: 'bf16 accumulation loses small gradients as k grows',
    config: { data: { name: 'moons', n: 2048 }, gradDtype: 'bf16', correction: 'scale_loss', batchSize: 4, accumSteps: 64, steps: 20 },
    expect: { grads: 'different', params: 'different', causes: ['low_precision_accumulation'] },
    text: {
      see: 'With .grad held in bf16 between the 64 micro-batches the accumulated gradient is about 0.8% off the float32 big batch at every step; with k = 4 it is 0.3% (accumlab sweep --k 1,4,16,64 --grad-dtype bf16 draws the growth).',
      why: 'bf16 keeps 8 bits of mantissa: each of the k additions rounds the running sum (in bf16, 256 + 1 = 256), so a micro-batch’s contribution smaller than half an ulp of the sum vanishes, and the errors pile up with k.',
      fix: 'Accumulate gradients in float32 (gradDtype fp32): DeepSpeed data_types.grad_accum_dtype "fp32", FSDP MixedPrecision(reduce_dtype=torch.float32), or fp32 master gradients.',
      source: 'DeepSpeed 0.19.5 deepspeed/runtime/engine.py: "BF16 gradient accumulation is not safe numerically with large number of accumulation steps"; PyTorch: bf16 + bf16 is computed in float32 and rounded to bf16.',
      code: `acc = None
for x, y in group:                                   # k micro-batches
    g = torch.autograd.grad(criterion(model(x), y) / k, params)
    acc = [gi.to(torch.bfloat16) if acc is None else a + gi.to(torch.bfloat16) for a, gi in zip(acc or g, g)]`,
    },
  },
  {
    id: 'fp16-underflow', group: '“Can I accumulate in bf16?”', question: 11,
    title: 'fp16 without loss scaling underflows',
    config: { data: { name: 'moons', n: 1024 }, gradDtype: 'fp16', correction: 'scale_loss', batchSize: 2, accumSteps: 64, model: { hidden: [64, 64, 64, 64, 64], activation: 'sigmoid' }, steps: 10 },
    expect: { grads: 'different', params: 'different', causes: ['grad_underflow', 'low_precision_accumulation'] },
    text: {
      see: 'Over 1.8 million micro-batch gradient entries of this deep sigmoid network became 0 in fp16; the first layers’ tiny gradients are lost (the largest relative difference is over 1000×). Try dynamic loss scaling: about 80 are left.',
      why: 'fp16 has 5 exponent bits: below 6.1e-5 it loses precision and below 6e-8 everything is 0. Each micro-batch’s loss divided by k = 64 makes its gradients 64× smaller still. Scaling the loss by 2^16 lifts them into fp16’s range before they are rounded; unscaling happens once, in float32, before the step.',
      fix: 'Use torch.amp.GradScaler (lossScale dynamic), or bf16, which has float32’s range (but fewer mantissa bits).',
      source: 'PyTorch 1.13 docs/source/notes/amp_examples.rst and amp.rst ("Gradient Scaling": small gradients flush to zero in float16); IEEE 754 binary16.',
      code: `scaler = torch.cuda.amp.GradScaler()          # init_scale 2**16
for i, (x, y) in enumerate(loader):
    scaler.scale(criterion(model(x), y) / k).backward()
    if (i + 1) % k == 0:
        scaler.step(optimizer); scaler.update(); optimizer.zero_grad()`,
    },
  },
  {
    id: 'gradscaler-per-micro-batch', group: '“Can I accumulate in bf16?”', question: 11,
    title: 'GradScaler: unscale and update once per optimizer step',
    config: { data: { name: 'moons', n: 256 }, correction: 'scale_loss', lossScale: { mode: 'dynamic' }, scalerUpdate: 'per_micro_batch', steps: 20 },
    expect: { grads: 'different', params: 'different', causes: ['scaler_per_micro_batch'] },
    text: {
      see: 'The accumulated gradient is about 1/(4 × 65536) ≈ 4e-6 of the big batch’s: only the last micro-batch survives, divided by the scale, and the accumulated run hardly moves. With scalerUpdate per_optimizer_step (the recipe) the same loop matches the big batch up to rounding.',
      why: 'scaler.unscale_(optimizer) divides the whole .grad by the scale. Called after every backward, it divides micro-batch 1 by 2^16 five times (scaler.step unscales once more) against the one multiplication of scaler.scale, micro-batch 4 twice; scaler.update() per micro-batch can also change the scale inside the group.',
      fix: 'Scale every micro-batch loss with the same scale; call scaler.unscale_ (before clipping), scaler.step and scaler.update once per optimizer step.',
      source: 'PyTorch 1.13 docs/source/notes/amp_examples.rst, "Gradient accumulation"; torch/cuda/amp/grad_scaler.py (unscale_ multiplies the .grad in place by 1/scale).',
      code: `for i, (x, y) in enumerate(loader):
    scaler.scale(criterion(model(x), y) / k).backward()
    if (i + 1) % k == 0:
        scaler.unscale_(optimizer)                    # once, before clipping
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer); scaler.update(); optimizer.zero_grad()`,
    },
  },
];

/**
 * The story of the default experiment (no preset): what a first-time user sees on load. The
 * page shows it while the settings are the defaults; tests/node/presets.test.mjs checks it.
 */
export const DEFAULT_TEXT = Object.freeze({
  see: 'The accumulated gradient is exactly k = 4 times the big batch\u2019s at every step, and the accumulated run reaches the LOWER loss: its steps are 4\u00d7 longer, which on this easy data trains faster. A lower loss does not mean a correct loop.',
  why: 'Each micro-batch loss is a mean over m = 8 samples; adding 4 such gradients gives 4 \u00d7 the mean over the 32 samples of the big batch, the same as training with 4\u00d7 the learning rate.',
  fix: 'Divide each micro-batch loss by k (Try: Scale the loss by 1/k), or use sum reduction.',
  code: LOOP_SCALED,
});

/** The preset with this id, or undefined. */
export function presetById(id) {
  return PRESETS.find((p) => p.id === id);
}
