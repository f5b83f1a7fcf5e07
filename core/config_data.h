/* core/config_data.h — the parts of the config parser that read explicit data and init. */
#ifndef ACCUMLAB_CONFIG_DATA_H
#define ACCUMLAB_CONFIG_DATA_H

#include "config.h"
#include "json.h"
#include "schema.h"

/* data's rules once every member is read: data.n by dataset, or explicit inputs, targets and
 * mask (given: the config's non-null members by field id; NULL entries are absent). */
int al_config_read_data(al_config *c, const json_value *const *given, al_error *e);
/* init: a flat array of finite floats. */
int al_config_read_init(al_config *c, const json_value *v, al_error *e);

#endif
