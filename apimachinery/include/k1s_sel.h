/* Label and field selectors, as the Kubernetes API parses and applies
 * them. Pure functions over jansson values; no I/O. */
#ifndef K1S_SEL_H
#define K1S_SEL_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

struct k1s_lsel;	/* a parsed label selector */
struct k1s_fsel;	/* a parsed field selector */

/* Parses the query-string form: `k=v`, `k==v`, `k!=v`, `k in (a,b)`,
 * `k notin (a,b)`, `k`, `!k`, joined by commas (AND). The empty string
 * matches everything. Returns 0 and sets *out, or -EINVAL with a message
 * in err (as kube-apiserver words it), leaving *out NULL. */
int k1s_lsel_parse(const char *s, struct k1s_lsel **out, char *err, size_t errlen);

/* Builds a selector from a metav1.LabelSelector object (matchLabels and
 * matchExpressions with In, NotIn, Exists, DoesNotExist). A NULL or empty
 * object matches everything. Returns 0 or -EINVAL with a message in err. */
int k1s_lsel_from_json(const json_t *label_selector, struct k1s_lsel **out, char *err,
		       size_t errlen);

/* Builds a selector that matches a map of labels exactly (a Service's
 * spec.selector); NULL or {} gives a selector that matches nothing, as for
 * services without selectors. */
int k1s_lsel_from_map(const json_t *map, struct k1s_lsel **out);

/* True if `labels` (a JSON object of strings, or NULL for none) matches. */
bool k1s_lsel_match(const struct k1s_lsel *sel, const json_t *labels);
void k1s_lsel_free(struct k1s_lsel *sel);

/* Parses a field selector (`a.b=v`, `a.b==v`, `a.b!=v`, comma = AND).
 * `fields` lists the field paths allowed, ending with NULL; any other path
 * is -EINVAL with the kube-apiserver message
 * `field label not supported: <path>`. An entry "label=path" serves a
 * field label from another path (events: "source=source.component"). */
int k1s_fsel_parse(const char *s, const char *const *fields, struct k1s_fsel **out, char *err,
		   size_t errlen);
/* True if the object's values at the selector's paths match; a missing
 * value compares as "". */
bool k1s_fsel_match(const struct k1s_fsel *sel, const json_t *obj);
void k1s_fsel_free(struct k1s_fsel *sel);

#endif
