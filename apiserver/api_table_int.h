/* Shared by the api_table*.c files only: the printer table, the cell
 * helpers and the column descriptions that several printers use. */
#ifndef API_TABLE_INT_H
#define API_TABLE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <jansson.h>

/* One TableColumnDefinition. `type` and `desc` are what kube-apiserver
 * declares; a column's cells need not have its declared type (the
 * Deployment "Up-to-date" column says "string" and carries integers). */
struct api_tcol {
	const char *name;
	const char *type;
	const char *format;
	const char *desc;
	int priority;
};

/* Appends one row's cells for `obj` to the array `cells`; may add members
 * such as "conditions" to `row`. */
typedef void (*api_trow_fn)(const json_t *obj, time_t now, json_t *cells, json_t *row);

struct api_tprinter {
	const char *group;
	const char *resource;
	const struct api_tcol *cols;
	size_t ncols;
	api_trow_fn row;
};

#define API_TPRINTER(g, r, c, fn)                                                                  \
	{                                                                                          \
		(g), (r), (c), sizeof(c) / sizeof((c)[0]), (fn)                                    \
	}

/* api_table_core.c, api_table_apps.c and api_table_auth.c; each list ends
 * with a zeroed entry. */
extern const struct api_tprinter api_tprinters_core[];
extern const struct api_tprinter api_tprinters_apps[];
extern const struct api_tprinter api_tprinters_auth[];
/* api_table_cm.c: cert-manager.io/v1. */
extern const struct api_tprinter api_tprinters_cm[];

/* Descriptions used by more than one printer (ObjectMeta docs). */
extern const char api_tdoc_name[];
extern const char api_tdoc_created[];
extern const char api_tdoc_containers[];
extern const char api_tdoc_images[];

/* ---- a growing string ---- */

struct api_sb {
	char *s;
	size_t len;
	size_t cap;
};

void api_sb_add(struct api_sb *sb, const char *s);
void api_sb_addn(struct api_sb *sb, const char *s, size_t n);
void api_sb_printf(struct api_sb *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text so far; never NULL. */
const char *api_sb_str(const struct api_sb *sb);
void api_sb_free(struct api_sb *sb);
/* Appends the string value of the builder to `arr` and frees the builder. */
void api_sb_append_to(struct api_sb *sb, json_t *arr);

/* ---- cell helpers ---- */

/* A string cell: `s`, or "" for NULL. */
void api_cell_str(json_t *cells, const char *s);
/* An integer cell. */
void api_cell_int(json_t *cells, json_int_t v);
/* translateTimestampSince: the age of the timestamp at `path` in obj, or
 * "<unknown>" when it is absent, null or unreadable (a zero time). */
void api_cell_age(json_t *cells, const json_t *obj, const char *path, time_t now);
void api_age_of(char *buf, size_t len, const json_t *obj, const char *path, time_t now);
/* The integer at `path`, clamped to int32, or `def` when absent or not
 * an integer. */
json_int_t api_json_int(const json_t *obj, const char *path, json_int_t def);
/* The number of members (object) or elements (array) at `path`; 0 if absent. */
size_t api_json_size(const json_t *obj, const char *path);

/* labels.FormatLabels: "k=v" pairs sorted by key, joined with ","; "<none>"
 * when empty or absent. */
void api_fmt_labels(struct api_sb *sb, const json_t *map);
/* metav1.LabelSelectorAsSelector(sel).String() into sb: 0, or -EINVAL for
 * a selector kube-apiserver would refuse to convert. A NULL or empty
 * selector writes nothing. */
int api_fmt_selector(struct api_sb *sb, const json_t *sel);
/* layoutContainerCells: names and images of spec.containers joined with ",". */
void api_cell_containers(json_t *cells, const json_t *containers);

/* Sorts the strings of a JSON array and drops duplicates (sets.String.List). */
void api_str_set_sort(json_t *arr);
/* loadBalancerStatusStringer (wide): the IPs of a load-balancer ingress
 * list, or hostnames where the IP is empty, as a sorted set. New reference. */
json_t *api_lb_addresses(const json_t *ingress);
/* Joins the strings of a JSON array with `sep`. */
void api_str_join(struct api_sb *sb, const json_t *arr, const char *sep);

#endif
