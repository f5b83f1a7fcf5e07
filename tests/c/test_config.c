/* tests/c/test_config.c — the config contract: defaults, every field and enum, every error
 * class with its field path, explicit data, hints, no leaks (ASan). */
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "json.h"

static int parse(al_config *c, const char *json, al_error *e) { return al_config_parse(c, json, strlen(json), e); }

/* Parses json, expects failure with code and field; returns 1 if it matched. */
static int expect_error(const char *json, int code, const char *field, const char *needle) {
    al_config c;
    al_error e;
    memset(&e, 0x55, sizeof e);
    int rc = parse(&c, json, &e);
    int ok = rc == code && e.code == code && strcmp(e.field, field) == 0 &&
             (!needle || strstr(e.message, needle) != NULL) && strlen(e.message) > 0 && strlen(e.message) < 200 &&
             c.data.inputs == NULL && c.data.targets == NULL && c.data.mask == NULL && c.init == NULL;
    if (!ok)
        fprintf(stderr, "    for %s\n    got rc %d code %d field '%s' message '%s'\n", json, rc, e.code, e.field, e.message);
    if (rc == AL_OK) al_config_free(&c);
    return ok;
}

#define EXPECT(json, code, field, needle) CHECK(expect_error(json, code, field, needle), "%s", #code)

TEST(empty_text_gives_every_default) {
    const char *docs[] = {"", "   \n\t\r ", "{}", " { } "};
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        al_config c;
        al_error e;
        int rc = parse(&c, docs[i], &e);
        CHECK(rc == AL_OK && e.code == AL_OK && e.field[0] == '\0', "doc %zu: %s", i, e.message);
        CHECK(c.seed == 1 && c.n_sizes == 0 && c.activation == AL_ACT_TANH && c.n_dropout == 0 && c.dropout[0] == 0, "model defaults");
        CHECK(c.norm == AL_NORM_NONE && c.loss_given == 0 && c.reduction == AL_REDUCTION_MEAN, "loss defaults");
        CHECK(c.batch_size == 8 && c.accum_steps == 4 && c.correction == AL_CORR_NONE, "batch defaults");
        CHECK(c.optimizer.name == AL_OPT_SGD && c.optimizer.lr == 0.1 && c.optimizer.momentum == 0 &&
              c.optimizer.dampening == 0 && c.optimizer.nesterov == 0 && c.optimizer.weight_decay == 0 &&
              c.optimizer.beta1 == 0.9 && c.optimizer.beta2 == 0.999 && c.optimizer.eps == 1e-8, "optimizer defaults");
        CHECK(c.clip_grad_norm == 0 && c.clip_placement == AL_CLIP_AFTER_ACCUMULATION, "clip defaults");
        CHECK(c.schedule.name == AL_SCHED_CONSTANT && c.schedule.step_size == 10 && c.schedule.gamma == 0.1 &&
              c.schedule.t_max == 0 && c.schedule.eta_min == 0 && c.schedule.warmup_steps == 5, "schedule defaults");
        CHECK(c.scheduler_stepping == AL_SCHED_PER_OPTIMIZER_STEP && c.dropout_rng == AL_RNG_STREAM, "stepping/rng");
        CHECK(c.data.name == AL_DATA_MOONS && c.data.n == 256 && c.data.noise == 0.1 && c.data.mask_fraction == 0 &&
              c.data.shuffle == 1 && c.data.inputs == NULL && c.data.rows == 0, "data defaults");
        CHECK(c.init == NULL && c.init_len == 0 && c.steps == 20 && c.last_group == AL_LAST_KEEP, "init/steps");
        CHECK(c.rtol == 1e-5 && c.atol == 1e-8, "tolerances");
        al_config_free(&c);
    }
    al_config c;
    CHECK(al_config_parse(&c, NULL, 0, NULL) == AL_OK, "NULL text of length 0 is empty");
    al_config_free(&c);
}

TEST(a_full_document_sets_every_field) {
    const char *doc =
        "{\"seed\": 9007199254740991, \"model\": {\"sizes\": [2, 32, 16, 3], \"activation\": \"gelu\","
        " \"dropout\": [0.1, 0.25], \"norm\": \"layernorm\"}, \"loss\": \"cross_entropy\", \"reduction\": \"sum\","
        " \"batchSize\": 16, \"accumSteps\": 8, \"correction\": \"global_count\","
        " \"optimizer\": {\"name\": \"sgd\", \"lr\": 0.05, \"momentum\": 0.9, \"dampening\": 0, \"nesterov\": true,"
        " \"weightDecay\": 0.001, \"betas\": [0.8, 0.99], \"eps\": 1e-6},"
        " \"clipGradNorm\": 1.5, \"clipPlacement\": \"per_micro_batch\","
        " \"schedule\": {\"name\": \"cosine\", \"stepSize\": 3, \"gamma\": 0.5, \"tMax\": 50, \"etaMin\": 0.001, \"warmupSteps\": 2},"
        " \"schedulerStepping\": \"per_micro_batch\", \"dropoutRng\": \"keyed\","
        " \"data\": {\"name\": \"spirals\", \"n\": 512, \"noise\": 0.3, \"maskFraction\": 0.25, \"shuffle\": false},"
        " \"init\": [0.5, -1, 2e-3], \"steps\": 100, \"lastGroup\": \"drop\", \"rtol\": 0, \"atol\": 1e-6}";
    al_config c;
    al_error e;
    int rc = parse(&c, doc, &e);
    CHECK(rc == AL_OK, "%s: %s", e.field, e.message);
    if (rc) return;
    CHECK(c.seed == 9007199254740991ull, "seed");
    CHECK(c.n_sizes == 4 && c.sizes[0] == 2 && c.sizes[1] == 32 && c.sizes[2] == 16 && c.sizes[3] == 3, "sizes");
    CHECK(c.activation == AL_ACT_GELU && c.n_dropout == 2 && c.dropout[0] == 0.1f && c.dropout[1] == 0.25f, "act/dropout");
    CHECK(c.norm == AL_NORM_LAYER && c.loss_given && c.loss == AL_LOSS_CROSS_ENTROPY && c.reduction == AL_REDUCTION_SUM, "loss");
    CHECK(c.batch_size == 16 && c.accum_steps == 8 && c.correction == AL_CORR_GLOBAL_COUNT, "batch");
    CHECK(c.optimizer.lr == 0.05 && c.optimizer.momentum == 0.9 && c.optimizer.nesterov == 1 &&
          c.optimizer.weight_decay == 0.001 && c.optimizer.beta1 == 0.8 && c.optimizer.beta2 == 0.99 &&
          c.optimizer.eps == 1e-6, "optimizer");
    CHECK(c.clip_grad_norm == 1.5 && c.clip_placement == AL_CLIP_PER_MICRO_BATCH, "clip");
    CHECK(c.schedule.name == AL_SCHED_COSINE && c.schedule.step_size == 3 && c.schedule.gamma == 0.5 &&
          c.schedule.t_max == 50 && c.schedule.eta_min == 0.001 && c.schedule.warmup_steps == 2, "schedule");
    CHECK(c.scheduler_stepping == AL_SCHED_PER_MICRO_BATCH && c.dropout_rng == AL_RNG_KEYED, "stepping");
    CHECK(c.data.name == AL_DATA_SPIRALS && c.data.n == 512 && c.data.noise == 0.3 && c.data.mask_fraction == 0.25 &&
          c.data.shuffle == 0, "data");
    CHECK(c.init_len == 3 && c.init && c.init[0] == 0.5f && c.init[1] == -1.0f && c.init[2] == 2e-3f, "init");
    CHECK(c.steps == 100 && c.last_group == AL_LAST_DROP && c.rtol == 0 && c.atol == 1e-6, "steps/tol");
    al_config_free(&c);
    CHECK(c.init == NULL && c.init_len == 0, "free zeroes pointers");
    al_config_free(&c); /* twice is harmless */
}

TEST(every_enum_name_is_accepted) {
    struct { const char *key; const char *names[8]; } cases[] = {
        {"\"model\": {\"activation\": \"%s\"}", {"relu", "tanh", "sigmoid", "gelu", "identity"}},
        {"\"model\": {\"norm\": \"%s\"}", {"none", "batchnorm", "layernorm"}},
        {"\"loss\": \"%s\"", {"l1", "mse", "cross_entropy", "bce"}},
        {"\"reduction\": \"%s\"", {"mean", "sum"}},
        {"\"correction\": \"%s\"", {"none", "scale_loss", "scale_lr", "global_count"}},
        {"\"optimizer\": {\"name\": \"%s\"}", {"sgd", "adam", "adamw"}},
        {"\"clipPlacement\": \"%s\"", {"after_accumulation", "per_micro_batch"}},
        {"\"schedule\": {\"name\": \"%s\"}", {"constant", "step", "cosine", "warmup"}},
        {"\"schedulerStepping\": \"%s\"", {"per_optimizer_step", "per_micro_batch"}},
        {"\"dropoutRng\": \"%s\"", {"stream", "keyed"}},
        {"\"data\": {\"name\": \"%s\"}", {"seed_example", "regression", "moons", "circles", "xor", "spirals", "gaussians", "digits"}},
        {"\"lastGroup\": \"%s\"", {"keep", "drop"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        for (int j = 0; j < 8 && cases[i].names[j]; j++) {
            char body[160], doc[200];
            snprintf(body, sizeof body, cases[i].key, cases[i].names[j]);
            snprintf(doc, sizeof doc, "{%s}", body);
            al_config c;
            al_error e;
            int rc = parse(&c, doc, &e);
            CHECK(rc == AL_OK, "%s: %s", doc, e.message);
            int got = -1;
            switch (i) {
            case 0: got = (int)c.activation; break;
            case 1: got = (int)c.norm; break;
            case 2: got = (int)c.loss; break;
            case 3: got = (int)c.reduction; break;
            case 4: got = (int)c.correction; break;
            case 5: got = (int)c.optimizer.name; break;
            case 6: got = (int)c.clip_placement; break;
            case 7: got = (int)c.schedule.name; break;
            case 8: got = (int)c.scheduler_stepping; break;
            case 9: got = (int)c.dropout_rng; break;
            case 10: got = (int)c.data.name; break;
            case 11: got = (int)c.last_group; break;
            }
            CHECK(got == j, "%s gives enum %d, want %d", doc, got, j);
            al_config_free(&c);
        }
    }
    CHECK(strcmp(al_activation_name(AL_ACT_GELU), "gelu") == 0 && strcmp(al_activation_name(AL_ACT_IDENTITY), "identity") == 0, "activation names");
    CHECK(strcmp(al_loss_name(AL_LOSS_CROSS_ENTROPY), "cross_entropy") == 0 && strcmp(al_loss_name(AL_LOSS_BCE), "bce") == 0, "loss names");
    CHECK(strcmp(al_activation_name((al_activation)99), "unknown") == 0, "out of range name");
}

TEST(defaults_depend_on_other_fields) {
    al_config c;
    al_error e;
    CHECK(parse(&c, "{\"optimizer\": {\"name\": \"adam\"}}", &e) == AL_OK && c.optimizer.lr == 0.001 && c.optimizer.weight_decay == 0, "adam");
    al_config_free(&c);
    CHECK(parse(&c, "{\"optimizer\": {\"name\": \"adamw\"}}", &e) == AL_OK && c.optimizer.lr == 0.001 && c.optimizer.weight_decay == 0.01, "adamw");
    al_config_free(&c);
    CHECK(parse(&c, "{\"optimizer\": {\"lr\": 0.5, \"name\": \"adamw\", \"weightDecay\": 0}}", &e) == AL_OK &&
          c.optimizer.lr == 0.5 && c.optimizer.weight_decay == 0, "given values win, in any key order");
    al_config_free(&c);
    CHECK(parse(&c, "{\"optimizer\": {\"name\": \"sgd\", \"lr\": null}}", &e) == AL_OK && c.optimizer.lr == 0.1, "null lr = default");
    al_config_free(&c);
    CHECK(parse(&c, "{\"data\": {\"name\": \"digits\"}}", &e) == AL_OK && c.data.n == AL_DIGITS_N, "digits n");
    al_config_free(&c);
    CHECK(parse(&c, "{\"data\": {\"n\": 100, \"name\": \"digits\"}}", &e) == AL_OK && c.data.n == 100, "digits n given");
    al_config_free(&c);
    CHECK(parse(&c, "{\"data\": {\"name\": \"xor\"}}", &e) == AL_OK && c.data.n == 256, "xor n");
    al_config_free(&c);
    CHECK(parse(&c, "{\"loss\": \"bce\"}", &e) == AL_OK && c.loss_given == 1 && c.loss == AL_LOSS_BCE, "loss given");
    al_config_free(&c);
    CHECK(parse(&c, "{\"loss\": null}", &e) == AL_OK && c.loss_given == 0, "null loss = experiment picks");
    al_config_free(&c);
    CHECK(parse(&c, "{\"model\": {\"dropout\": 0.5}}", &e) == AL_OK && c.n_dropout == 0 && c.dropout[0] == 0.5f, "scalar dropout");
    al_config_free(&c);
    CHECK(parse(&c, "{\"clipGradNorm\": null}", &e) == AL_OK && c.clip_grad_norm == 0, "null clip = off");
    al_config_free(&c);
    CHECK(parse(&c, "{\"clipGradNorm\": 0}", &e) == AL_OK && c.clip_grad_norm == 0, "0 clip = off");
    al_config_free(&c);
    CHECK(parse(&c, "{\"model\": null, \"optimizer\": null, \"data\": null, \"schedule\": null, \"init\": null, \"seed\": null}", &e) == AL_OK &&
          c.seed == 1 && c.init == NULL, "null sections = defaults");
    al_config_free(&c);
    CHECK(parse(&c, "{\"optimizer\": {\"momentum\": 0.9, \"nesterov\": true}}", &e) == AL_OK && c.optimizer.nesterov, "nesterov ok");
    al_config_free(&c);
    CHECK(parse(&c, "{\"seed\": 0, \"batchSize\": 4096, \"accumSteps\": 1}", &e) == AL_OK && c.seed == 0 && c.batch_size == 4096, "edges");
    al_config_free(&c);
    CHECK(parse(&c, "{\"seed\": 1e3, \"steps\": 100000}", &e) == AL_OK && c.seed == 1000 && c.steps == AL_MAX_STEPS, "1e3 is an integer");
    al_config_free(&c);
}

TEST(parse_errors_give_the_byte_offset) {
    EXPECT("{\"seed\": 1,}", AL_ERR_PARSE, "", "byte 11");
    EXPECT("{\"seed\": NaN}", AL_ERR_PARSE, "", "byte 9");
    EXPECT("{\"seed\": 1e999}", AL_ERR_PARSE, "", "out of range");
    EXPECT("{\"seed\": 1", AL_ERR_PARSE, "", "end of input");
    EXPECT("{\"a\": \"\x01\"}", AL_ERR_PARSE, "", "control character");
    EXPECT("{\"seed\": 1, \"seed\": 2}", AL_ERR_PARSE, "seed", "twice");
    EXPECT("{\"optimizer\": {\"lr\": 1, \"lr\": 2}}", AL_ERR_PARSE, "optimizer.lr", "twice");
}

TEST(top_level_must_be_an_object) {
    EXPECT("[]", AL_ERR_TYPE, "", "JSON object, got an array");
    EXPECT("42", AL_ERR_TYPE, "", "got 42");
    EXPECT("\"x\"", AL_ERR_TYPE, "", "got \"x\"");
    EXPECT("null", AL_ERR_TYPE, "", "got null");
}

TEST(wrong_types_name_the_field) {
    EXPECT("{\"seed\": \"1\"}", AL_ERR_TYPE, "seed", "got \"1\"");
    EXPECT("{\"model\": []}", AL_ERR_TYPE, "model", "an object");
    EXPECT("{\"model\": {\"sizes\": 3}}", AL_ERR_TYPE, "model.sizes", NULL);
    EXPECT("{\"model\": {\"sizes\": [2, \"16\", 1]}}", AL_ERR_TYPE, "model.sizes[1]", NULL);
    EXPECT("{\"model\": {\"activation\": 1}}", AL_ERR_TYPE, "model.activation", "relu, tanh");
    EXPECT("{\"model\": {\"dropout\": true}}", AL_ERR_TYPE, "model.dropout", NULL);
    EXPECT("{\"model\": {\"dropout\": [0.1, \"x\"]}}", AL_ERR_TYPE, "model.dropout[1]", NULL);
    EXPECT("{\"optimizer\": {\"nesterov\": 1}}", AL_ERR_TYPE, "optimizer.nesterov", "true or false");
    EXPECT("{\"optimizer\": {\"betas\": 0.9}}", AL_ERR_TYPE, "optimizer.betas", NULL);
    EXPECT("{\"optimizer\": {\"betas\": [0.9, null]}}", AL_ERR_TYPE, "optimizer.betas[1]", NULL);
    EXPECT("{\"optimizer\": {\"lr\": \"fast\"}}", AL_ERR_TYPE, "optimizer.lr", "got \"fast\"");
    EXPECT("{\"data\": {\"shuffle\": \"yes\"}}", AL_ERR_TYPE, "data.shuffle", NULL);
    EXPECT("{\"data\": 5}", AL_ERR_TYPE, "data", NULL);
    EXPECT("{\"init\": {}}", AL_ERR_TYPE, "init", NULL);
    EXPECT("{\"init\": [1, [2]]}", AL_ERR_TYPE, "init[1]", NULL);
    EXPECT("{\"schedule\": {\"gamma\": false}}", AL_ERR_TYPE, "schedule.gamma", NULL);
    EXPECT("{\"steps\": [20]}", AL_ERR_TYPE, "steps", "an array");
}

TEST(unknown_names_list_what_is_allowed) {
    EXPECT("{\"model\": {\"activation\": \"relu6\"}}", AL_ERR_UNKNOWN, "model.activation", "one of relu, tanh, sigmoid, gelu, identity");
    EXPECT("{\"model\": {\"activation\": \"relu6\"}}", AL_ERR_UNKNOWN, "model.activation", "did you mean 'relu'?");
    EXPECT("{\"loss\": \"crossentropy\"}", AL_ERR_UNKNOWN, "loss", "did you mean 'cross_entropy'?");
    EXPECT("{\"optimizer\": {\"name\": \"SGD\"}}", AL_ERR_UNKNOWN, "optimizer.name", "did you mean 'sgd'?");
    EXPECT("{\"data\": {\"name\": \"mnist\"}}", AL_ERR_UNKNOWN, "data.name", "seed_example, regression, moons");
    EXPECT("{\"lastGroup\": \"pad\"}", AL_ERR_UNKNOWN, "lastGroup", "keep, drop");
    EXPECT("{\"correction\": \"scale\"}", AL_ERR_UNKNOWN, "correction", "none, scale_loss");
}

TEST(unknown_fields_are_errors_with_a_hint) {
    EXPECT("{\"optimizer\": {\"learningRate\": 0.1}}", AL_ERR_UNKNOWN, "optimizer.learningRate", "did you mean 'lr'?");
    EXPECT("{\"optimizer\": {\"LEARNING_RATE\": 0.1}}", AL_ERR_UNKNOWN, "optimizer.LEARNING_RATE", "did you mean 'lr'?");
    EXPECT("{\"learningRate\": 0.1}", AL_ERR_UNKNOWN, "learningRate", "unknown field learningRate");
    EXPECT("{\"gradient_accumulation_steps\": 2}", AL_ERR_UNKNOWN, "gradient_accumulation_steps", "did you mean 'accumSteps'?");
    EXPECT("{\"optimizer\": {\"Lr\": 0.1}}", AL_ERR_UNKNOWN, "optimizer.Lr", "did you mean 'lr'?");
    EXPECT("{\"optimizer\": {\"weightdecay\": 0.1}}", AL_ERR_UNKNOWN, "optimizer.weightdecay", "did you mean 'weightDecay'?");
    EXPECT("{\"batch_size\": 8}", AL_ERR_UNKNOWN, "batch_size", "did you mean 'batchSize'?");
    EXPECT("{\"accumStep\": 8}", AL_ERR_UNKNOWN, "accumStep", "did you mean 'accumSteps'?");
    EXPECT("{\"model\": {\"size\": [1, 2]}}", AL_ERR_UNKNOWN, "model.size", "did you mean 'sizes'?");
    EXPECT("{\"schedule\": {\"tmax\": 3}}", AL_ERR_UNKNOWN, "schedule.tmax", "did you mean 'tMax'?");
    EXPECT("{\"data\": {\"input\": [[1]]}}", AL_ERR_UNKNOWN, "data.input", "did you mean 'inputs'?");
    EXPECT("{\"data\": {\"zzzzzz\": 1}}", AL_ERR_UNKNOWN, "data.zzzzzz", "allowed: name, n, noise");
    EXPECT("{\"foo\": 1}", AL_ERR_UNKNOWN, "foo", "unknown field foo");
    /* an unknown key is an error even when its value is null */
    EXPECT("{\"optimizer\": {\"learningRate\": null}}", AL_ERR_UNKNOWN, "optimizer.learningRate", NULL);
}

TEST(echoed_strings_are_short_and_clean) {
    char doc[3000];
    char big[2001];
    memset(big, 'a', 2000);
    big[2000] = '\0';
    snprintf(doc, sizeof doc, "{\"model\": {\"activation\": \"%s\"}}", big);
    al_config c;
    al_error e;
    CHECK(parse(&c, doc, &e) == AL_ERR_UNKNOWN && strlen(e.message) < 200 && strstr(e.message, "..."), "long value: %s", e.message);
    snprintf(doc, sizeof doc, "{\"%s\": 1}", big);
    CHECK(parse(&c, doc, &e) == AL_ERR_UNKNOWN && strlen(e.message) < 200 && strlen(e.field) < 64, "long key: %s", e.message);
    CHECK(parse(&c, "{\"lr\\n\\u0000x\": 1}", &e) == AL_ERR_UNKNOWN && strchr(e.message, '\n') == NULL, "control chars: %s", e.message);
    /* a cut inside a multi-byte character backs off to the character boundary */
    char u[400] = "{\"loss\": \"";
    for (int i = 0; i < 30; i++) strcat(u, "\xC3\xA9");
    strcat(u, "\"}");
    CHECK(parse(&c, u, &e) == AL_ERR_UNKNOWN, "utf8 value");
    const char *q = strstr(e.message, "got \"");
    CHECK(q && strstr(q, "...") && (strstr(q, "...") - (q + 5)) % 2 == 0, "cut on a boundary: %s", e.message);
}

TEST(out_of_range_values_are_range_errors) {
    EXPECT("{\"optimizer\": {\"lr\": -1}}", AL_ERR_RANGE, "optimizer.lr", "optimizer.lr must be a finite number > 0, got -1");
    EXPECT("{\"optimizer\": {\"lr\": 0}}", AL_ERR_RANGE, "optimizer.lr", "got 0");
    EXPECT("{\"optimizer\": {\"momentum\": 1}}", AL_ERR_RANGE, "optimizer.momentum", "[0, 1)");
    EXPECT("{\"optimizer\": {\"dampening\": 1.5}}", AL_ERR_RANGE, "optimizer.dampening", "[0, 1]");
    EXPECT("{\"optimizer\": {\"weightDecay\": -0.1}}", AL_ERR_RANGE, "optimizer.weightDecay", "got -0.1");
    EXPECT("{\"optimizer\": {\"betas\": [0.9, 1]}}", AL_ERR_RANGE, "optimizer.betas[1]", NULL);
    EXPECT("{\"optimizer\": {\"betas\": [0.9]}}", AL_ERR_SHAPE, "optimizer.betas", "2 entries");
    EXPECT("{\"optimizer\": {\"eps\": 0}}", AL_ERR_RANGE, "optimizer.eps", NULL);
    EXPECT("{\"optimizer\": {\"nesterov\": true}}", AL_ERR_RANGE, "optimizer.nesterov", "momentum > 0");
    EXPECT("{\"optimizer\": {\"nesterov\": true, \"momentum\": 0.9, \"dampening\": 0.1}}", AL_ERR_RANGE, "optimizer.nesterov", "dampening 0.1");
    EXPECT("{\"seed\": -1}", AL_ERR_RANGE, "seed", NULL);
    EXPECT("{\"seed\": 1.5}", AL_ERR_RANGE, "seed", "integer");
    EXPECT("{\"seed\": 9007199254740992}", AL_ERR_RANGE, "seed", "0..9007199254740991");
    EXPECT("{\"batchSize\": 0}", AL_ERR_RANGE, "batchSize", NULL);
    EXPECT("{\"batchSize\": 2.5}", AL_ERR_RANGE, "batchSize", "got 2.5");
    EXPECT("{\"accumSteps\": -3}", AL_ERR_RANGE, "accumSteps", NULL);
    EXPECT("{\"model\": {\"sizes\": [2]}}", AL_ERR_RANGE, "model.sizes", "2..9");
    EXPECT("{\"model\": {\"sizes\": [2, 0, 1]}}", AL_ERR_RANGE, "model.sizes[1]", NULL);
    EXPECT("{\"model\": {\"sizes\": [2, 16, 1.5]}}", AL_ERR_RANGE, "model.sizes[2]", NULL);
    EXPECT("{\"model\": {\"dropout\": 1}}", AL_ERR_RANGE, "model.dropout", "[0, 1)");
    EXPECT("{\"model\": {\"dropout\": -0.1}}", AL_ERR_RANGE, "model.dropout", NULL);
    EXPECT("{\"model\": {\"dropout\": []}}", AL_ERR_RANGE, "model.dropout", NULL);
    EXPECT("{\"model\": {\"dropout\": [0.1, 1.0]}}", AL_ERR_RANGE, "model.dropout[1]", NULL);
    EXPECT("{\"clipGradNorm\": -1}", AL_ERR_RANGE, "clipGradNorm", NULL);
    EXPECT("{\"schedule\": {\"gamma\": 0}}", AL_ERR_RANGE, "schedule.gamma", "(0, 1]");
    EXPECT("{\"schedule\": {\"gamma\": 1.01}}", AL_ERR_RANGE, "schedule.gamma", NULL);
    EXPECT("{\"schedule\": {\"stepSize\": 0}}", AL_ERR_RANGE, "schedule.stepSize", NULL);
    EXPECT("{\"schedule\": {\"tMax\": 0}}", AL_ERR_RANGE, "schedule.tMax", NULL);
    EXPECT("{\"schedule\": {\"warmupSteps\": 1e10}}", AL_ERR_RANGE, "schedule.warmupSteps", NULL);
    EXPECT("{\"schedule\": {\"etaMin\": -1}}", AL_ERR_RANGE, "schedule.etaMin", NULL);
    EXPECT("{\"data\": {\"n\": 0}}", AL_ERR_RANGE, "data.n", NULL);
    EXPECT("{\"data\": {\"noise\": 11}}", AL_ERR_RANGE, "data.noise", "[0, 10]");
    EXPECT("{\"data\": {\"maskFraction\": 1}}", AL_ERR_RANGE, "data.maskFraction", NULL);
    EXPECT("{\"steps\": 0}", AL_ERR_RANGE, "steps", NULL);
    EXPECT("{\"rtol\": -1e-9}", AL_ERR_RANGE, "rtol", NULL);
    EXPECT("{\"atol\": -1}", AL_ERR_RANGE, "atol", NULL);
    EXPECT("{\"init\": []}", AL_ERR_RANGE, "init", NULL);
    EXPECT("{\"init\": [1, 1e39]}", AL_ERR_RANGE, "init[1]", "float");
}

TEST(over_a_limit_is_a_limit_error) {
    EXPECT("{\"model\": {\"sizes\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}}", AL_ERR_LIMIT, "model.sizes", "got 10");
    EXPECT("{\"model\": {\"sizes\": [2, 4097, 1]}}", AL_ERR_LIMIT, "model.sizes[1]", "1..4096");
    EXPECT("{\"model\": {\"dropout\": [0, 0, 0, 0, 0, 0, 0, 0, 0]}}", AL_ERR_LIMIT, "model.dropout", NULL);
    EXPECT("{\"batchSize\": 4097}", AL_ERR_LIMIT, "batchSize", NULL);
    EXPECT("{\"batchSize\": 1e300}", AL_ERR_LIMIT, "batchSize", NULL);
    EXPECT("{\"batchSize\": 64, \"accumSteps\": 65}", AL_ERR_LIMIT, "accumSteps", "64 * 65 = 4160");
    EXPECT("{\"accumSteps\": 64, \"batchSize\": 65}", AL_ERR_LIMIT, "accumSteps", NULL);
    EXPECT("{\"batchSize\": 2048}", AL_ERR_LIMIT, "accumSteps", "2048 * 4");
    EXPECT("{\"steps\": 100001}", AL_ERR_LIMIT, "steps", NULL);
    EXPECT("{\"data\": {\"n\": 100001}}", AL_ERR_LIMIT, "data.n", NULL);
    EXPECT("{\"data\": {\"name\": \"digits\", \"n\": 1798}}", AL_ERR_LIMIT, "data.n", "1797");
    EXPECT("{\"data\": {\"n\": 1798, \"name\": \"digits\"}}", AL_ERR_LIMIT, "data.n", "1797");
    /* init over AL_MAX_PARAMS */
    size_t n = (size_t)AL_MAX_PARAMS + 1;
    char *doc = malloc(n * 2 + 16);
    strcpy(doc, "{\"init\": [");
    size_t at = strlen(doc);
    for (size_t i = 0; i < n; i++) { doc[at++] = '0'; doc[at++] = ','; }
    doc[at - 1] = ']';
    doc[at++] = '}';
    doc[at] = '\0';
    CHECK(expect_error(doc, AL_ERR_LIMIT, "init", "2097152"), "init limit");
    /* exactly AL_MAX_PARAMS is fine */
    doc[at - 4] = ']';
    doc[at - 3] = '}';
    doc[at - 2] = '\0';
    al_config c;
    al_error e;
    CHECK(parse(&c, doc, &e) == AL_OK && c.init_len == (size_t)AL_MAX_PARAMS, "init at the limit: %s", e.message);
    al_config_free(&c);
    free(doc);
}

TEST(explicit_data_is_copied_with_its_shape) {
    al_config c;
    al_error e;
    int rc = parse(&c, "{\"data\": {\"inputs\": [[1, 2, 3], [4, 5, 6]], \"targets\": [[0.5, -1], [2, 3]],"
                       " \"mask\": [[1, 0], [0, 1]], \"shuffle\": false}}", &e);
    CHECK(rc == AL_OK, "%s: %s", e.field, e.message);
    if (rc == AL_OK) {
        CHECK(c.data.name == AL_DATA_EXPLICIT && c.data.rows == 2 && c.data.in_dim == 3 && c.data.target_dim == 2 &&
              c.data.class_targets == 0 && c.data.n == 2 && c.data.shuffle == 0, "shape");
        CHECK(c.data.inputs[0] == 1 && c.data.inputs[5] == 6 && c.data.targets[1] == -1 && c.data.targets[3] == 3, "values");
        CHECK(c.data.mask && c.data.mask[0] == 1 && c.data.mask[1] == 0 && c.data.mask[3] == 1, "mask");
        al_config_free(&c);
        CHECK(c.data.inputs == NULL && c.data.targets == NULL && c.data.mask == NULL, "freed");
    }
    rc = parse(&c, "{\"data\": {\"targets\": [0, 2, 1], \"inputs\": [[0.1], [0.2], [0.3]], \"mask\": [[1], [0], [1]]}}", &e);
    CHECK(rc == AL_OK, "%s: %s", e.field, e.message);
    if (rc == AL_OK) {
        CHECK(c.data.class_targets == 1 && c.data.target_dim == 1 && c.data.rows == 3 && c.data.in_dim == 1, "class shape");
        CHECK(c.data.targets[0] == 0 && c.data.targets[1] == 2 && c.data.targets[2] == 1, "class values");
        CHECK(c.data.mask[1] == 0, "class mask");
        al_config_free(&c);
    }
    rc = parse(&c, "{\"data\": {\"inputs\": [[1]], \"targets\": [[1]], \"name\": null, \"maskFraction\": 0.5}}", &e);
    CHECK(rc == AL_OK && c.data.mask == NULL && c.data.mask_fraction == 0.5, "name null is absent; maskFraction allowed: %s", e.message);
    al_config_free(&c);
}

TEST(explicit_data_errors_name_the_element) {
    EXPECT("{\"data\": {\"inputs\": [[1, 2], [3]], \"targets\": [0, 1]}}", AL_ERR_SHAPE, "data.inputs[1]", "2 values");
    EXPECT("{\"data\": {\"inputs\": [[1, 2], [3, 4], [5, 6], [7, \"x\"]], \"targets\": [0, 1, 0, 1]}}", AL_ERR_TYPE, "data.inputs[3][1]", NULL);
    EXPECT("{\"data\": {\"inputs\": [[1, 2], [3, 4], [5, 6], [7, 1e39]], \"targets\": [0, 1, 0, 1]}}", AL_ERR_RANGE, "data.inputs[3][1]", NULL);
    EXPECT("{\"data\": {\"inputs\": [[1], 2], \"targets\": [0, 1]}}", AL_ERR_TYPE, "data.inputs[1]", NULL);
    EXPECT("{\"data\": {\"inputs\": [], \"targets\": []}}", AL_ERR_RANGE, "data.inputs", NULL);
    EXPECT("{\"data\": {\"inputs\": [[]], \"targets\": [0]}}", AL_ERR_RANGE, "data.inputs[0]", NULL);
    EXPECT("{\"data\": {\"inputs\": {}, \"targets\": [0]}}", AL_ERR_TYPE, "data.inputs", NULL);
    EXPECT("{\"data\": {\"inputs\": [[1], [2]], \"targets\": [0]}}", AL_ERR_SHAPE, "data.targets", "2 entries");
    EXPECT("{\"data\": {\"inputs\": [[1], [2]], \"targets\": [0, -1]}}", AL_ERR_RANGE, "data.targets[1]", NULL);
    EXPECT("{\"data\": {\"inputs\": [[1], [2]], \"targets\": [0, 0.5]}}", AL_ERR_RANGE, "data.targets[1]", NULL);
    EXPECT("{\"data\": {\"inputs\": [[1], [2]], \"targets\": [0, [1]]}}", AL_ERR_TYPE, "data.targets[1]", NULL);
    EXPECT("{\"data\": {\"inputs\": [[1], [2]], \"targets\": [[0], 1]}}", AL_ERR_TYPE, "data.targets[1]", NULL);
    EXPECT("{\"data\": {\"inputs\": [[1], [2]], \"targets\": [[0], [1, 2]]}}", AL_ERR_SHAPE, "data.targets[1]", NULL);
    EXPECT("{\"data\": {\"inputs\": [[1], [2]], \"targets\": [\"a\", \"b\"]}}", AL_ERR_TYPE, "data.targets[0]", NULL);
    EXPECT("{\"data\": {\"inputs\": [[1], [2]], \"targets\": 3}}", AL_ERR_TYPE, "data.targets", NULL);
    EXPECT("{\"data\": {\"inputs\": [[1], [2]]}}", AL_ERR_SHAPE, "data.targets", "required");
    EXPECT("{\"data\": {\"targets\": [0, 1]}}", AL_ERR_SHAPE, "data.targets", "needs data.inputs");
    EXPECT("{\"data\": {\"mask\": [[1]]}}", AL_ERR_SHAPE, "data.mask", NULL);
    EXPECT("{\"data\": {\"name\": \"moons\", \"inputs\": [[1]], \"targets\": [0]}}", AL_ERR_SHAPE, "data.name", "exclude each other");
    EXPECT("{\"data\": {\"inputs\": [[1]], \"targets\": [0], \"n\": 1}}", AL_ERR_SHAPE, "data.n", NULL);
    EXPECT("{\"data\": {\"inputs\": [[1]], \"targets\": [0], \"noise\": 0}}", AL_ERR_SHAPE, "data.noise", NULL);
    EXPECT("{\"data\": {\"inputs\": [[1], [2]], \"targets\": [[1, 2], [3, 4]], \"mask\": [[1, 0]]}}", AL_ERR_SHAPE, "data.mask", "2 rows");
    EXPECT("{\"data\": {\"inputs\": [[1], [2]], \"targets\": [[1, 2], [3, 4]], \"mask\": [[1, 0], [1]]}}", AL_ERR_SHAPE, "data.mask[1]", NULL);
    EXPECT("{\"data\": {\"inputs\": [[1], [2]], \"targets\": [0, 1], \"mask\": [[1, 0], [1, 1]]}}", AL_ERR_SHAPE, "data.mask[0]", NULL);
    EXPECT("{\"data\": {\"inputs\": [[1], [2]], \"targets\": [0, 1], \"mask\": [1, 0]}}", AL_ERR_TYPE, "data.mask[0]", NULL);
    EXPECT("{\"data\": {\"inputs\": [[1], [2]], \"targets\": [0, 1], \"mask\": [[1], [0.5]]}}", AL_ERR_RANGE, "data.mask[1][0]", "0 or 1");
    EXPECT("{\"data\": {\"inputs\": [[1]], \"targets\": [0], \"mask\": [[1]], \"maskFraction\": 0.5}}", AL_ERR_SHAPE, "data.maskFraction", NULL);
    /* an error after allocation frees what was copied (ASan reports a leak otherwise) */
    EXPECT("{\"init\": [1, 2], \"data\": {\"inputs\": [[1], [2]], \"targets\": [[1], [2]], \"mask\": [[1], [2]]}}", AL_ERR_RANGE, "data.mask[1][0]", NULL);
    EXPECT("{\"data\": {\"inputs\": [[1], [2]], \"targets\": [[1], [2]]}, \"steps\": -1}", AL_ERR_RANGE, "steps", NULL);
}

TEST(explicit_data_limits) {
    /* a row wider than AL_MAX_WIDTH */
    size_t w = AL_MAX_WIDTH + 1;
    char *doc = malloc(w * 2 + 64);
    strcpy(doc, "{\"data\": {\"inputs\": [[");
    size_t at = strlen(doc);
    for (size_t i = 0; i < w; i++) { doc[at++] = '0'; doc[at++] = ','; }
    strcpy(doc + at - 1, "]], \"targets\": [0]}}");
    CHECK(expect_error(doc, AL_ERR_LIMIT, "data.inputs[0]", "4096"), "row width limit");
    free(doc);
    /* more rows than AL_MAX_SAMPLES */
    size_t n = AL_MAX_SAMPLES + 1;
    doc = malloc(n * 4 + 64);
    strcpy(doc, "{\"data\": {\"inputs\": [");
    at = strlen(doc);
    for (size_t i = 0; i < n; i++) { memcpy(doc + at, "[0],", 4); at += 4; }
    strcpy(doc + at - 1, "], \"targets\": [0]}}");
    CHECK(expect_error(doc, AL_ERR_LIMIT, "data.inputs", "100000"), "row count limit");
    free(doc);
}

TEST(errors_leave_defaults_and_no_allocations) {
    al_config c;
    al_error e;
    int rc = parse(&c, "{\"init\": [1, 2, 3], \"seed\": 7, \"optimizer\": {\"lr\": -1}}", &e);
    CHECK(rc == AL_ERR_RANGE && c.init == NULL && c.init_len == 0 && c.seed == 1, "reset to defaults");
    CHECK(al_config_parse(&c, "{\"seed\": -1}", 12, NULL) == AL_ERR_RANGE, "NULL err is allowed");
    CHECK(al_config_parse(NULL, "{}", 2, &e) == AL_ERR_STATE && e.message[0], "NULL config");
    CHECK(al_config_parse(&c, NULL, 5, &e) == AL_ERR_STATE, "NULL text with a length");
    /* the size limit is checked before a byte is read */
    CHECK(al_config_parse(&c, "{}", (size_t)JSON_MAX_BYTES + 1, &e) == AL_ERR_LIMIT && e.field[0] == '\0', "too large: %s", e.message);
    /* a successful parse after a failed one clears err */
    CHECK(parse(&c, "{}", &e) == AL_OK && e.code == AL_OK && e.message[0] == '\0', "err cleared");
    al_config_free(&c);
}

TEST(every_prefix_of_a_config_fails_cleanly_or_parses) {
    const char *doc = "{\"seed\": 3, \"model\": {\"sizes\": [2, 8, 2], \"dropout\": [0.1]},"
                      " \"optimizer\": {\"name\": \"adamw\", \"betas\": [0.9, 0.99]},"
                      " \"data\": {\"inputs\": [[1, 2], [3, 4]], \"targets\": [0, 1], \"mask\": [[1], [0]]},"
                      " \"init\": [0.5, 0.25]}";
    size_t n = strlen(doc);
    int parsed = 0;
    for (size_t k = 0; k <= n; k++) {
        char *h = malloc(k ? k : 1);
        memcpy(h, doc, k);
        al_config c;
        al_error e;
        int rc = al_config_parse(&c, h, k, &e);
        if (rc == AL_OK) { parsed++; al_config_free(&c); }
        else CHECK(rc == AL_ERR_PARSE && e.code == rc && e.message[0], "prefix %zu: rc %d %s", k, rc, e.message);
        free(h);
    }
    CHECK(parsed == 2, "the empty prefix and the whole document parse (%d did)", parsed);
}

TEST(binary_blocks_are_read_checked_and_named_like_json) {
    float x[6] = {0, 1, 2, 3, 4, 5}, t[3] = {0, 1, 1}, bad[6] = {0, 1, 2, NAN, 4, 5};
    const float *bins[3] = {x, t, bad};
    const int32_t lens[3] = {6, 3, 6};
    al_config c;
    al_error e;
    const char *ok = "{\"data\": {\"inputs\": {\"binary\": 0, \"shape\": [3, 2]}, \"targets\": {\"binary\": 1, \"shape\": [3]}}}";
    CHECK(al_config_parse_with(&c, ok, strlen(ok), bins, lens, 3, &e) == AL_OK, "%s", e.message);
    CHECK(c.data.rows == 3 && c.data.in_dim == 2 && c.data.class_targets == 1 && c.data.inputs[5] == 5.0f, "shape and values");
    CHECK(c.bins == NULL && c.n_bins == 0, "the binding's arrays are not kept");
    al_config_free(&c);
    struct { const char *json; int code; const char *field; } cases[] = {
        {"{\"data\": {\"inputs\": {\"binary\": 2, \"shape\": [3, 2]}, \"targets\": [0, 1, 1]}}", AL_ERR_RANGE, "data.inputs[1][1]"},
        {"{\"data\": {\"inputs\": {\"binary\": 0, \"shape\": [2, 2]}, \"targets\": [0, 1]}}", AL_ERR_SHAPE, "data.inputs"},
        {"{\"data\": {\"inputs\": {\"binary\": 0, \"shape\": [65536, 65536]}, \"targets\": [0]}}", AL_ERR_SHAPE, "data.inputs"},
        {"{\"data\": {\"inputs\": {\"binary\": 3, \"shape\": [3, 2]}, \"targets\": [0, 1, 1]}}", AL_ERR_SHAPE, "data.inputs"},
        {"{\"data\": {\"inputs\": {\"binary\": 0, \"shape\": [3, 2], \"x\": 1}, \"targets\": [0, 1, 1]}}", AL_ERR_UNKNOWN, "data.inputs"},
        {"{\"data\": {\"inputs\": [[0], [1], [2]], \"targets\": {\"binary\": 0, \"shape\": [6]}}}", AL_ERR_SHAPE, "data.targets"},
        {"{\"init\": {\"binary\": 0, \"shape\": [3, 2]}}", AL_ERR_SHAPE, "init"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int rc = al_config_parse_with(&c, cases[i].json, strlen(cases[i].json), bins, lens, 3, &e);
        CHECK(rc == cases[i].code && strcmp(e.field, cases[i].field) == 0, "case %zu: code %d field '%s': %s", i, rc, e.field, e.message);
    }
    /* without the binding's arrays (plain al_config_parse) a block is named, never read */
    CHECK(al_config_parse(&c, ok, strlen(ok), &e) == AL_ERR_SHAPE && strcmp(e.field, "data.inputs") == 0, "%s", e.message);
}

int main(void) {
    RUN(empty_text_gives_every_default);
    RUN(a_full_document_sets_every_field);
    RUN(every_enum_name_is_accepted);
    RUN(defaults_depend_on_other_fields);
    RUN(parse_errors_give_the_byte_offset);
    RUN(top_level_must_be_an_object);
    RUN(wrong_types_name_the_field);
    RUN(unknown_names_list_what_is_allowed);
    RUN(unknown_fields_are_errors_with_a_hint);
    RUN(echoed_strings_are_short_and_clean);
    RUN(out_of_range_values_are_range_errors);
    RUN(over_a_limit_is_a_limit_error);
    RUN(explicit_data_is_copied_with_its_shape);
    RUN(explicit_data_errors_name_the_element);
    RUN(explicit_data_limits);
    RUN(binary_blocks_are_read_checked_and_named_like_json);
    RUN(errors_leave_defaults_and_no_allocations);
    RUN(every_prefix_of_a_config_fails_cleanly_or_parses);
    return check_summary("config");
}
