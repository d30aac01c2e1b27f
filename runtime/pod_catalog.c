/* The image catalog: what a container runs for an image, since k1s runs no
 * images. Entries model an image config (entrypoint, cmd) and are read
 * from YAML with libyaml; pod_catalog_argv() applies Kubernetes' command
 * and args rules on top. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "k1s_log.h"
#include "pod_int.h"

#define CAT_FILE_MAX (1024 * 1024)
#define CAT_ENTRIES_MAX 1024
#define CAT_ITEMS_MAX 256
#define CAT_STRING_MAX 4096
#define CAT_IMAGE_MAX 256

/* Where programs are looked up when the process has no PATH. */
#define CAT_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct pod_catalog_entry {
	char *image;       /* normalised */
	char **entrypoint; /* NULL-terminated */
	size_t n_entrypoint;
	char **cmd; /* NULL-terminated */
	size_t n_cmd;
	const char **dflt; /* entrypoint + cmd, NULL-terminated, borrowed strings */
	bool busybox;
	bool passthrough;
	char *face; /* "dns" or "ingress", or NULL */
};

struct pod_catalog {
	struct pod_catalog_entry *entries;
	size_t n;
};

/* The built-in catalog: the entries of the shipped config/images.yaml. */
static const char cat_builtin[] = "- image: busybox\n"
                                  "  cmd: [sh]\n"
                                  "  busybox: true\n"
                                  "- image: alpine\n"
                                  "  cmd: [sh]\n"
                                  "  busybox: true\n"
                                  "- image: curlimages/curl\n"
                                  "  entrypoint: [curl]\n"
                                  "  busybox: true\n"
                                  "  passthrough: true\n"
                                  "- image: python\n"
                                  "  cmd: [python3]\n"
                                  "- image: redis\n"
                                  "  cmd: [redis-server]\n"
                                  "- image: coredns/coredns\n"
                                  "  face: dns\n"
                                  "- image: ingress-nginx/controller\n"
                                  "  face: ingress\n"
                                  "- image: ingress-nginx/kube-webhook-certgen\n"
                                  "  entrypoint: [\"true\"]\n";

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static void entry_fini(struct pod_catalog_entry *e)
{
	free(e->image);
	strv_free(e->entrypoint);
	strv_free(e->cmd);
	free(e->dflt);
	free(e->face);
}

void pod_catalog_free(struct pod_catalog *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		entry_fini(&c->entries[i]);
	free(c->entries);
	free(c);
}

int pod_catalog_image_name(const char *image, char *out, size_t len)
{
	const char *s = image, *end, *slash, *p;
	size_t n;

	if (!image || !len)
		return -EINVAL;
	end = strchr(s, '@');
	if (!end)
		end = s + strlen(s);
	/* A first component with a dot or a port, or "localhost", is a
	 * registry host (the rule docker's reference parser uses). */
	slash = memchr(s, '/', (size_t)(end - s));
	if (slash) {
		size_t hl = (size_t)(slash - s);

		if (memchr(s, '.', hl) || memchr(s, ':', hl) ||
		    (hl == 9 && memcmp(s, "localhost", 9) == 0))
			s = slash + 1;
	}
	/* The tag is after the last ':' of the last path component. */
	slash = NULL;
	for (p = s; p < end; p++)
		if (*p == '/')
			slash = p;
	p = memchr(slash ? slash : s, ':', (size_t)(end - (slash ? slash : s)));
	if (p)
		end = p;
	if ((size_t)(end - s) > 8 && memcmp(s, "library/", 8) == 0)
		s += 8;
	n = (size_t)(end - s);
	if (n == 0)
		return -EINVAL;
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static const struct pod_catalog_entry *cat_find(const struct pod_catalog *c, const char *image)
{
	char name[CAT_IMAGE_MAX];

	if (!c || pod_catalog_image_name(image, name, sizeof(name)) < 0)
		return NULL;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->entries[i].image, name) == 0)
			return &c->entries[i];
	return NULL;
}

const char *const *pod_catalog_entrypoint(const struct pod_catalog *c, const char *image)
{
	const struct pod_catalog_entry *e = cat_find(c, image);

	return e && !e->face ? e->dflt : NULL;
}

const char *pod_catalog_face(const struct pod_catalog *c, const char *image)
{
	const struct pod_catalog_entry *e = cat_find(c, image);

	return e ? e->face : NULL;
}

/* ---- parsing ---- */

struct cat_parse {
	yaml_document_t *doc;
	const char *name;
	char *errbuf;
	size_t errlen;
};

static int cat_error(struct cat_parse *cp, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int cat_error(struct cat_parse *cp, size_t line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!cp->errbuf || !cp->errlen)
		return -EINVAL;
	n = snprintf(cp->errbuf, cp->errlen, "%s:%zu: ", cp->name, line);
	if (n >= 0 && (size_t)n < cp->errlen) {
		va_start(ap, fmt);
		vsnprintf(cp->errbuf + n, cp->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static size_t node_line(const yaml_node_t *n)
{
	return n->start_mark.line + 1;
}

/* A scalar's value as a C string: no NUL inside, bounded. */
static int cat_string(struct cat_parse *cp, yaml_node_t *n, const char *what, char **out)
{
	size_t len;

	if (n->type != YAML_SCALAR_NODE)
		return cat_error(cp, node_line(n), "%s must be a string", what);
	len = n->data.scalar.length;
	if (len > CAT_STRING_MAX)
		return cat_error(cp, node_line(n), "%s is longer than %d bytes", what,
		                 CAT_STRING_MAX);
	if (memchr(n->data.scalar.value, '\0', len))
		return cat_error(cp, node_line(n), "%s contains a NUL byte", what);
	*out = strndup((const char *)n->data.scalar.value, len);
	return *out ? 0 : -ENOMEM;
}

static int cat_strv(struct cat_parse *cp, yaml_node_t *n, const char *what, char ***out,
                    size_t *count)
{
	yaml_node_item_t *it;
	size_t k = 0, total;
	char **v;
	int err;

	if (n->type != YAML_SEQUENCE_NODE)
		return cat_error(cp, node_line(n), "%s must be a list of strings", what);
	total = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (total > CAT_ITEMS_MAX)
		return cat_error(cp, node_line(n), "%s has more than %d items", what,
		                 CAT_ITEMS_MAX);
	v = calloc(total + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(cp->doc, *it);

		if (!item) {
			strv_free(v);
			return cat_error(cp, node_line(n), "%s: bad item", what);
		}
		err = cat_string(cp, item, what, &v[k]);
		if (err < 0) {
			strv_free(v);
			return err;
		}
		k++;
	}
	*out = v;
	*count = k;
	return 0;
}

static int cat_bool(struct cat_parse *cp, yaml_node_t *n, const char *what, bool *out)
{
	const char *s = (const char *)n->data.scalar.value;

	if (n->type == YAML_SCALAR_NODE) {
		if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0) {
			*out = false;
			return 0;
		}
	}
	return cat_error(cp, node_line(n), "%s must be true or false", what);
}

static int cat_entry(struct cat_parse *cp, yaml_node_t *n, struct pod_catalog_entry *e)
{
	unsigned seen = 0;
	yaml_node_pair_t *pr;
	char *raw = NULL;
	int err = 0;

	if (n->type != YAML_MAPPING_NODE)
		return cat_error(cp, node_line(n),
		                 "an entry must be a mapping {image, entrypoint, cmd, ...}");
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
		static const char *const keys[] = {"image", "entrypoint", "cmd", "busybox",
		                                   "passthrough", "face"};
		yaml_node_t *k = yaml_document_get_node(cp->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(cp->doc, pr->value);
		const char *key;
		unsigned i;

		if (!k || !v)
			return cat_error(cp, node_line(n), "bad mapping");
		if (k->type != YAML_SCALAR_NODE)
			return cat_error(cp, node_line(k), "keys must be strings");
		key = (const char *)k->data.scalar.value;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strlen(keys[i]) == k->data.scalar.length && strcmp(key, keys[i]) == 0)
				break;
		if (i == sizeof(keys) / sizeof(keys[0]))
			return cat_error(cp, node_line(k),
			                 "unknown key \"%.64s\" (expected image, entrypoint, cmd, "
			                 "busybox, passthrough or face)",
			                 key);
		if (seen & (1u << i))
			return cat_error(cp, node_line(k), "duplicate key \"%s\"", keys[i]);
		seen |= 1u << i;
		switch (i) {
		case 0:
			err = cat_string(cp, v, "image", &raw);
			if (err < 0)
				return err;
			e->image = malloc(CAT_IMAGE_MAX);
			if (!e->image) {
				free(raw);
				return -ENOMEM;
			}
			err = pod_catalog_image_name(raw, e->image, CAT_IMAGE_MAX);
			if (err < 0)
				err = cat_error(cp, node_line(v),
				                "image \"%.64s\" is not an image name", raw);
			free(raw);
			break;
		case 1:
			err = cat_strv(cp, v, "entrypoint", &e->entrypoint, &e->n_entrypoint);
			break;
		case 2:
			err = cat_strv(cp, v, "cmd", &e->cmd, &e->n_cmd);
			break;
		case 3:
			err = cat_bool(cp, v, "busybox", &e->busybox);
			break;
		case 4:
			err = cat_bool(cp, v, "passthrough", &e->passthrough);
			break;
		case 5:
			err = cat_string(cp, v, "face", &e->face);
			if (err == 0 && strcmp(e->face, "dns") != 0 && strcmp(e->face, "ingress") != 0)
				err = cat_error(cp, node_line(v),
				                "face \"%.64s\": expected dns or ingress", e->face);
			break;
		}
		if (err < 0)
			return err;
	}
	if (!e->image)
		return cat_error(cp, node_line(n), "an entry needs an image");
	/* A face runs nothing: the module in k1s answers for it. */
	if (e->face) {
		if (e->n_entrypoint + e->n_cmd)
			return cat_error(cp, node_line(n),
			                 "image %s: a face has no entrypoint or cmd", e->image);
		return 0;
	}
	if (e->n_entrypoint + e->n_cmd == 0)
		return cat_error(cp, node_line(n), "image %s needs an entrypoint or a cmd",
		                 e->image);
	if (e->n_entrypoint && e->entrypoint[0][0] == '\0')
		return cat_error(cp, node_line(n), "image %s: empty program name", e->image);
	if (!e->n_entrypoint && e->cmd[0][0] == '\0')
		return cat_error(cp, node_line(n), "image %s: empty program name", e->image);
	e->dflt = calloc(e->n_entrypoint + e->n_cmd + 1, sizeof(*e->dflt));
	if (!e->dflt)
		return -ENOMEM;
	for (size_t i = 0; i < e->n_entrypoint; i++)
		e->dflt[i] = e->entrypoint[i];
	for (size_t i = 0; i < e->n_cmd; i++)
		e->dflt[e->n_entrypoint + i] = e->cmd[i];
	return 0;
}

static int cat_root(struct cat_parse *cp, struct pod_catalog *c)
{
	yaml_node_t *root = yaml_document_get_root_node(cp->doc);
	yaml_node_item_t *it;
	size_t total;
	int err;

	if (!root)
		return 0; /* an empty file: no entries */
	if (root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0)
		return 0;
	if (root->type != YAML_SEQUENCE_NODE)
		return cat_error(cp, node_line(root), "the catalog must be a list of entries");
	total = (size_t)(root->data.sequence.items.top - root->data.sequence.items.start);
	if (total > CAT_ENTRIES_MAX)
		return cat_error(cp, node_line(root), "more than %d entries", CAT_ENTRIES_MAX);
	c->entries = calloc(total ? total : 1, sizeof(*c->entries));
	if (!c->entries)
		return -ENOMEM;
	for (it = root->data.sequence.items.start; it < root->data.sequence.items.top; it++) {
		yaml_node_t *n = yaml_document_get_node(cp->doc, *it);
		struct pod_catalog_entry *e = &c->entries[c->n];

		if (!n)
			return cat_error(cp, node_line(root), "bad entry");
		/* Counted before parsing so that a half-built entry is freed. */
		c->n++;
		err = cat_entry(cp, n, e);
		if (err < 0)
			return err;
		for (size_t i = 0; i + 1 < c->n; i++)
			if (strcmp(c->entries[i].image, e->image) == 0)
				return cat_error(cp, node_line(n), "image %s is listed twice",
				                 e->image);
	}
	return 0;
}

int pod_catalog_parse(const char *buf, size_t len, const char *name, struct pod_catalog **out,
                      char *errbuf, size_t errlen)
{
	struct cat_parse cp = {.name = name ? name : "catalog", .errbuf = errbuf, .errlen = errlen};
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	struct pod_catalog *c;
	int err;

	*out = NULL;
	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (len > CAT_FILE_MAX)
		return cat_error(&cp, 1, "larger than %d bytes", CAT_FILE_MAX);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (!yaml_parser_initialize(&parser)) {
		free(c);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		err = parser.error == YAML_MEMORY_ERROR
		          ? -ENOMEM
		          : cat_error(&cp, parser.problem_mark.line + 1, "YAML: %s",
		                      parser.problem ? parser.problem : "parse error");
		yaml_parser_delete(&parser);
		free(c);
		return err;
	}
	cp.doc = &doc;
	err = cat_root(&cp, c);
	if (err == 0) {
		/* A second document would be silently ignored: refuse it. */
		if (!yaml_parser_load(&parser, &extra)) {
			err = parser.error == YAML_MEMORY_ERROR
			          ? -ENOMEM
			          : cat_error(&cp, parser.problem_mark.line + 1, "YAML: %s",
			                      parser.problem ? parser.problem : "parse error");
		} else {
			yaml_node_t *r = yaml_document_get_root_node(&extra);

			if (r)
				err = cat_error(&cp, node_line(r), "more than one YAML document");
			yaml_document_delete(&extra);
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (err < 0) {
		pod_catalog_free(c);
		return err;
	}
	*out = c;
	return 0;
}

struct pod_catalog *pod_catalog_load(const char *path, int *err)
{
	struct pod_catalog *c = NULL;
	char msg[512], *buf;
	struct stat st;
	size_t n;
	FILE *f;
	int rc;

	if (!path) {
		rc = pod_catalog_parse(cat_builtin, sizeof(cat_builtin) - 1, "built-in catalog", &c,
		                       msg, sizeof(msg));
		if (rc < 0)
			k1s_err("pod", "image catalog: %s", msg);
		if (err)
			*err = rc;
		return c;
	}
	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		k1s_err("pod", "image catalog %s: %s", path, strerror(-rc));
		goto out;
	}
	if (fstat(fileno(f), &st) < 0)
		st.st_mode = 0;
	if (!S_ISREG(st.st_mode) || st.st_size > CAT_FILE_MAX) {
		rc = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		k1s_err("pod", "image catalog %s: not a regular file of at most %d bytes", path,
		        CAT_FILE_MAX);
		fclose(f);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		fclose(f);
		rc = -ENOMEM;
		goto out;
	}
	n = fread(buf, 1, (size_t)st.st_size + 1, f);
	fclose(f);
	rc = pod_catalog_parse(buf, n, path, &c, msg, sizeof(msg));
	free(buf);
	if (rc == -EINVAL)
		k1s_err("pod", "image catalog %s", msg);
out:
	if (err)
		*err = rc;
	return c;
}

/* ---- argv ---- */

/* Whether name is an executable file, looked up in PATH unless it has a
 * slash; the path found goes to out. */
static bool cat_which(const char *name, char *out, size_t len)
{
	const char *path, *p, *colon;
	struct stat st;

	if (!name[0])
		return false;
	if (strchr(name, '/')) {
		if (stat(name, &st) < 0 || !S_ISREG(st.st_mode) || access(name, X_OK) < 0)
			return false;
		snprintf(out, len, "%s", name);
		return true;
	}
	path = getenv("PATH");
	if (!path)
		path = CAT_DEFAULT_PATH;
	for (p = path; *p; p = colon + 1) {
		size_t dl;
		int n;

		colon = strchrnul(p, ':');
		dl = (size_t)(colon - p);
		/* An empty component would mean the current directory, which
		 * is the runtime's, not the container's: skip it. */
		if (dl) {
			n = snprintf(out, len, "%.*s/%s", (int)dl, p, name);
			if (n > 0 && (size_t)n < len && stat(out, &st) == 0 &&
			    S_ISREG(st.st_mode) && access(out, X_OK) == 0)
				return true;
		}
		if (!*colon)
			break;
	}
	return false;
}

/* The number of strings in a JSON array, 0 for NULL; -EINVAL unless it is
 * an array of strings. */
static int cat_json_strv(const json_t *a, size_t *n)
{
	size_t i;

	*n = 0;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return -EINVAL;
	for (i = 0; i < json_array_size(a); i++)
		if (!json_is_string(json_array_get(a, i)))
			return -EINVAL;
	*n = json_array_size(a);
	return 0;
}

static void cat_push_json(const char **v, size_t *k, const json_t *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		v[(*k)++] = json_string_value(json_array_get(a, i));
}

static void cat_push_strv(const char **v, size_t *k, char **s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		v[(*k)++] = s[i];
}

int pod_catalog_argv(const struct pod_catalog *c, const char *image, const json_t *command,
                     const json_t *args, char ***argv_out)
{
	const struct pod_catalog_entry *e = cat_find(c, image);
	char found[4096], busybox[4096];
	const char **v;
	size_t ncommand, nargs, k = 0, total, bytes;
	bool dflt = false, applet = false;
	char **argv, *p;
	int err;

	*argv_out = NULL;
	err = cat_json_strv(command, &ncommand);
	if (err == 0)
		err = cat_json_strv(args, &nargs);
	if (err < 0)
		return err;
	if (!e && ncommand + nargs == 0)
		return 1;
	/* Room for every source, plus busybox and the NULL. */
	total = ncommand + nargs + (e ? e->n_entrypoint + e->n_cmd : 0) + 2;
	v = calloc(total, sizeof(*v));
	if (!v)
		return -ENOMEM;
	k = 1; /* v[0] is kept free for busybox */
	if (ncommand) {
		cat_push_json(v, &k, command, ncommand);
		cat_push_json(v, &k, args, nargs);
	} else if (!e) {
		/* An image we know nothing of: as one with no entrypoint. */
		cat_push_json(v, &k, args, nargs);
	} else if (nargs) {
		const char *a0 = json_string_value(json_array_get(args, 0));

		if (!(e->passthrough && a0[0] != '-' && cat_which(a0, found, sizeof(found))))
			cat_push_strv(v, &k, e->entrypoint, e->n_entrypoint);
		cat_push_json(v, &k, args, nargs);
	} else {
		cat_push_strv(v, &k, e->entrypoint, e->n_entrypoint);
		cat_push_strv(v, &k, e->cmd, e->n_cmd);
		dflt = true;
	}
	if (k == 1 || !v[1][0]) {
		free(v);
		return -EINVAL;
	}
	if (!cat_which(v[1], found, sizeof(found))) {
		if (e && e->busybox && cat_which("busybox", busybox, sizeof(busybox))) {
			const char *base = strrchr(v[1], '/');

			if (base)
				v[1] = base + 1;
			if (v[1][0]) {
				v[0] = busybox;
				applet = true;
			}
		}
		/* An image's own program that this host lacks: the echo app
		 * stands in, as for an unknown image. */
		if (!applet && dflt) {
			free(v);
			return 1;
		}
	}
	/* One block: the pointers, then the strings. */
	bytes = 0;
	for (size_t i = applet ? 0 : 1; i < k; i++)
		bytes += strlen(v[i]) + 1;
	argv = malloc((k + 1) * sizeof(*argv) + bytes);
	if (!argv) {
		free(v);
		return -ENOMEM;
	}
	p = (char *)(argv + k + 1);
	total = 0;
	for (size_t i = applet ? 0 : 1; i < k; i++) {
		size_t l = strlen(v[i]) + 1;

		memcpy(p, v[i], l);
		argv[total++] = p;
		p += l;
	}
	argv[total] = NULL;
	free(v);
	*argv_out = argv;
	return 0;
}
