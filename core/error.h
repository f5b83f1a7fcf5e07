/* core/error.h — error codes and the caller-owned error record of the C API. */
#ifndef ACCUMLAB_ERROR_H
#define ACCUMLAB_ERROR_H

enum {
    AL_OK = 0,
    AL_ERR_PARSE = 1,   /* not JSON */
    AL_ERR_TYPE = 2,    /* wrong JSON type for a field */
    AL_ERR_UNKNOWN = 3, /* unknown field or unknown name (e.g. activation "relu6") */
    AL_ERR_RANGE = 4,   /* number out of its allowed range, not an integer, NaN/inf */
    AL_ERR_SHAPE = 5,   /* sizes that do not fit together (data vs model, init length, ...) */
    AL_ERR_LIMIT = 6,   /* over a documented maximum that protects the machine */
    AL_ERR_MEMORY = 7,  /* allocation failed */
    AL_ERR_STATE = 8    /* API misuse: stepping a finished experiment, NULL handle */
};

typedef struct {
    int code;           /* AL_OK or one of the above */
    char field[64];     /* dotted config path, e.g. "optimizer.lr", "data.inputs[3][1]"; "" if none */
    char message[256];  /* one sentence naming the field, the value and what is allowed */
} al_error;

/* Fills err (if non-NULL) and returns code. message is printf-formatted. */
int al_fail(al_error *err, int code, const char *field, const char *fmt, ...);

#endif
