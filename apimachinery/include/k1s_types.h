/* The Kubernetes types k1s serves, as data: every field of every kind with
 * its JSON name, value type, protobuf field number, patch strategy and
 * documentation. One table drives strict decoding (unknown fields), the
 * OpenAPI v3 documents (`kubectl explain`), strategic merge patch (merge
 * keys), server-side apply (list-map keys) and the protobuf reader.
 *
 * The tables are immutable and may be read from any thread. */
#ifndef K1S_TYPES_H
#define K1S_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

enum k1s_ftype {
	K1S_T_STRING,
	K1S_T_INT32,
	K1S_T_INT64,
	K1S_T_BOOL,
	K1S_T_NUMBER,		/* float64 */
	K1S_T_OBJECT,		/* a struct: see k1s_field.ref */
	K1S_T_INT_OR_STRING,	/* intstr.IntOrString */
	K1S_T_QUANTITY,		/* resource.Quantity, a string in JSON */
	K1S_T_TIME,		/* metav1.Time, RFC 3339 string in JSON */
	K1S_T_MICROTIME,	/* metav1.MicroTime */
	K1S_T_BYTES,		/* []byte, base64 string in JSON */
	K1S_T_ANY,		/* free-form JSON; neither validated nor described */
};

enum k1s_fcontainer {
	K1S_C_NONE,
	K1S_C_LIST,	/* []T */
	K1S_C_MAP,	/* map[string]T */
};

/* k1s_field.flags */
#define K1S_FF_REQUIRED 0x01	   /* required by the API (OpenAPI "required") */
#define K1S_FF_RETAIN_KEYS 0x02	   /* strategic merge: $retainKeys applies to this object */
#define K1S_FF_MERGE_PRIMITIVES 0x04 /* strategic merge: list of scalars merged as a set */
#define K1S_FF_REPLACE 0x08	   /* strategic merge: replace (atomic) even if a struct */

/* k1s_field.proto of a member of an embedded Go struct, which JSON inlines
 * but protobuf carries as field `inner` of the message in field `outer`
 * (IngressRule.http is field 1 of the IngressRuleValue in field 2). */
#define K1S_PROTO_EMBED(outer, inner) ((outer) << 16 | (inner))
#define K1S_PROTO_OUTER(p) ((p) >> 16)	  /* 0 unless embedded */
#define K1S_PROTO_INNER(p) ((p) & 0xffff)

struct k1s_type;

struct k1s_field {
	const char *name;		/* JSON name */
	enum k1s_ftype type;
	enum k1s_fcontainer container;
	const struct k1s_type *ref;	/* element type when type == K1S_T_OBJECT */
	int proto;			/* protobuf field number; 0 = not on the wire */
	const char *merge_key;		/* strategic merge list key, e.g. "port"; NULL = atomic list */
	const char *list_map_keys;	/* server-side apply keys, comma-separated: "port,protocol" */
	unsigned flags;			/* K1S_FF_* */
	const char *doc;		/* description, as kube-apiserver's OpenAPI gives it */
};

struct k1s_type {
	const char *name;	/* OpenAPI definition name, e.g. "io.k8s.api.core.v1.ServiceSpec" */
	const char *doc;
	const struct k1s_field *fields;
	size_t nfields;
};

/* A served resource: one row of discovery. */
#define K1S_RF_NAMESPACED 0x01
#define K1S_RF_STATUS 0x02	/* has the status subresource */
#define K1S_RF_SCALE 0x04	/* has the scale subresource */
#define K1S_RF_GENERATION 0x08	/* metadata.generation is maintained */

struct k1s_resource {
	const char *group;	/* "" for core */
	const char *version;
	const char *resource;	/* plural, e.g. "services" */
	const char *singular;
	const char *kind;
	const char *short_names; /* comma-separated, may be NULL */
	bool in_all;		/* category "all" */
	unsigned flags;		/* K1S_RF_* */
	const struct k1s_type *type; /* the kind's top-level type */
	const char *categories;	/* comma-separated, besides "all"; may be NULL */
};

/* All served resources, in discovery order; the table ends with a zeroed row. */
extern const struct k1s_resource k1s_resources[];

/* Looks a resource up by group and plural; NULL if not served. */
const struct k1s_resource *k1s_resource_find(const char *group, const char *resource);
/* Looks a resource up by group and kind; NULL if not served. */
const struct k1s_resource *k1s_resource_by_kind(const char *group, const char *kind);
/* A type's field by JSON name; NULL if the type has none. */
const struct k1s_field *k1s_type_field(const struct k1s_type *t, const char *name);

/* Strict decoding: appends to `errs` (a JSON array) one string
 * `unknown field "spec.foo"` for every member of `obj` that its type does not
 * have, recursing through objects, lists and maps. Members of K1S_T_ANY
 * fields are not checked. Returns the number of strings appended. */
int k1s_types_unknown(const struct k1s_type *t, const json_t *obj, json_t *errs);
/* Removes those members, as decoding into kube-apiserver's types drops
 * them. Returns the number removed. */
int k1s_types_prune(const struct k1s_type *t, json_t *obj);

#endif
