/* The image catalog: built-in entries, the shipped file, image names, the
 * argv a container gets, and the errors of malformed files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "pod_int.h"

static void assert_strv(const char *const *got, const char *const *want)
{
	size_t i;

	assert_non_null(got);
	for (i = 0; want[i]; i++) {
		if (!got[i])
			fail_msg("argv ends at %zu, want \"%s\"", i, want[i]);
		assert_string_equal(got[i], want[i]);
	}
	if (got[i])
		fail_msg("argv has extra \"%s\" at %zu", got[i], i);
}

static void builtin_entries(void **state)
{
	struct pod_catalog *c;
	int err = 1;

	c = pod_catalog_load(NULL, &err);
	assert_non_null(c);
	assert_int_equal(err, 0);
	assert_strv(pod_catalog_entrypoint(c, "busybox"), (const char *[]){"sh", NULL});
	assert_strv(pod_catalog_entrypoint(c, "docker.io/library/busybox:1.36"),
	            (const char *[]){"sh", NULL});
	assert_strv(pod_catalog_entrypoint(c, "alpine:3.19"), (const char *[]){"sh", NULL});
	assert_strv(pod_catalog_entrypoint(c, "curlimages/curl:8.5.0"),
	            (const char *[]){"curl", NULL});
	assert_strv(pod_catalog_entrypoint(c, "python:3.12-slim"),
	            (const char *[]){"python3", NULL});
	assert_strv(pod_catalog_entrypoint(c, "redis"), (const char *[]){"redis-server", NULL});
	/* nginx is left out: the host's nginx cannot run as a pod's user. */
	assert_null(pod_catalog_entrypoint(c, "nginx:1.25"));
	/* Not in the catalog: the echo app. */
	assert_null(pod_catalog_entrypoint(c, "my-api:1.0"));
	assert_null(pod_catalog_entrypoint(c, "postgres:16"));
	assert_null(pod_catalog_entrypoint(c, "curl"));
	assert_null(pod_catalog_entrypoint(c, "someone/busybox"));
	assert_null(pod_catalog_entrypoint(c, ""));
	pod_catalog_free(c);
	pod_catalog_free(NULL);
	assert_null(pod_catalog_entrypoint(NULL, "busybox"));
}

static void srcdir_path(const char *rel, char *out, size_t len)
{
	const char *src = getenv("K1S_SRCDIR");
	char exe[2048];
	ssize_t k;

	if (src) {
		snprintf(out, len, "%s/%s", src, rel);
		return;
	}
	if (__FILE__[0] == '/') {
		snprintf(out, len, "%s", __FILE__);
		*strrchr(out, '/') = '\0';
		snprintf(out + strlen(out), len - strlen(out), "/../../%s", rel);
		return;
	}
	/* __FILE__ is relative to the build directory, which holds this
	 * program in tests/. */
	k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(k > 0);
	exe[k] = '\0';
	*strrchr(exe, '/') = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(out, len, "%s/%s", exe, __FILE__);
	*strrchr(out, '/') = '\0';
	snprintf(out + strlen(out), len - strlen(out), "/../../%s", rel);
}

/* What an operator edits is what runs when no file is given. */
static void shipped_file_matches_builtin(void **state)
{
	static const char *const images[] = {"busybox", "alpine", "curlimages/curl", "python",
	                                     "redis",   "nginx",  "postgres",        "my-api"};
	struct pod_catalog *file, *builtin;
	char path[8192];
	int err = 1;

	srcdir_path("config/images.yaml", path, sizeof(path));
	file = pod_catalog_load(path, &err);
	if (!file)
		fail_msg("cannot load %s: %d", path, err);
	assert_int_equal(err, 0);
	builtin = pod_catalog_load(NULL, NULL);
	assert_non_null(builtin);
	for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++) {
		const char *const *a = pod_catalog_entrypoint(file, images[i]);
		const char *const *b = pod_catalog_entrypoint(builtin, images[i]);

		if (!a || !b) {
			if (a != b)
				fail_msg("%s: in one catalog only", images[i]);
			continue;
		}
		assert_strv(a, b);
	}
	/* Same behaviour too: curl's args pass through in both. */
	{
		json_t *args = json_pack("[ss]", "-s", "http://x");
		char **va, **vb;

		assert_int_equal(pod_catalog_argv(file, "curlimages/curl", NULL, args, &va), 0);
		assert_int_equal(pod_catalog_argv(builtin, "curlimages/curl", NULL, args, &vb), 0);
		assert_strv((const char *const *)va, (const char *const *)vb);
		free(va);
		free(vb);
		json_decref(args);
	}
	pod_catalog_free(file);
	pod_catalog_free(builtin);
}

/* The images of k1s's own modules, as manifests name them (ingress-nginx's
 * deploy.yaml pins a tag and a digest), are their faces in both catalogs;
 * a face has no entrypoint of its own. */
static void faces(void **state)
{
	static const char *const cases[][2] = {
	    {"registry.k8s.io/coredns/coredns:v1.11.1", "dns"},
	    {"coredns/coredns", "dns"},
	    {"registry.k8s.io/ingress-nginx/controller:v1.8.0@sha256:"
	     "744ae2afd433a395eeb13dc03d3313facba92e96ad71d9feaafc85925493fee3",
	     "ingress"},
	    {"registry.k8s.io/ingress-nginx/controller", "ingress"},
	    {"registry.k8s.io/ingress-nginx/kube-webhook-certgen:v20230407", NULL},
	    {"busybox", NULL},
	    {"coredns", NULL},
	};
	struct pod_catalog *cats[2];
	char path[8192];

	(void)state;
	srcdir_path("config/images.yaml", path, sizeof(path));
	cats[0] = pod_catalog_load(path, NULL);
	cats[1] = pod_catalog_load(NULL, NULL);
	for (int k = 0; k < 2; k++) {
		assert_non_null(cats[k]);
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const char *f = pod_catalog_face(cats[k], cases[i][0]);

			if (cases[i][1] ? !f || strcmp(f, cases[i][1]) != 0 : f != NULL)
				fail_msg("%s: face %s, want %s", cases[i][0], f ?: "none",
				         cases[i][1] ?: "none");
			if (cases[i][1])
				assert_null(pod_catalog_entrypoint(cats[k], cases[i][0]));
		}
		pod_catalog_free(cats[k]);
	}
}

static void image_names(void **state)
{
	static const char *const cases[][2] = {
	    {"busybox", "busybox"},
	    {"busybox:1.36", "busybox"},
	    {"docker.io/library/busybox:1.36", "busybox"},
	    {"docker.io/busybox", "busybox"},
	    {"index.docker.io/library/nginx:latest", "nginx"},
	    {"library/redis", "redis"},
	    {"curlimages/curl:8.5.0", "curlimages/curl"},
	    {"docker.io/curlimages/curl", "curlimages/curl"},
	    {"quay.io/curlimages/curl@sha256:0123abcd", "curlimages/curl"},
	    {"busybox@sha256:0123abcd", "busybox"},
	    {"busybox:1.36@sha256:0123abcd", "busybox"},
	    {"localhost:5000/my-api:1.0", "my-api"},
	    {"localhost/my-api", "my-api"},
	    {"registry.k8s.io/pause:3.9", "pause"},
	    {"my-api:1.0", "my-api"},
	    {"team/app", "team/app"},
	    {"library", "library"},
	};
	char out[256], small[4];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(pod_catalog_image_name(cases[i][0], out, sizeof(out)), 0);
		if (strcmp(out, cases[i][1]) != 0)
			fail_msg("%s -> %s, want %s", cases[i][0], out, cases[i][1]);
	}
	assert_int_equal(pod_catalog_image_name("", out, sizeof(out)), -EINVAL);
	assert_int_equal(pod_catalog_image_name(":1.0", out, sizeof(out)), -EINVAL);
	assert_int_equal(pod_catalog_image_name("@sha256:00", out, sizeof(out)), -EINVAL);
	assert_int_equal(pod_catalog_image_name("docker.io/", out, sizeof(out)), -EINVAL);
	assert_int_equal(pod_catalog_image_name(NULL, out, sizeof(out)), -EINVAL);
	assert_int_equal(pod_catalog_image_name("busybox", small, sizeof(small)), -ENAMETOOLONG);
}

/* ---- argv ---- */

struct argv_env {
	char dir[64];
	char *old_path;
	struct pod_catalog *c;
};

static void make_prog(const char *dir, const char *name)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\nexit 0\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

/* PATH is a directory holding sh, curl, python3, sleep and busybox (and
 * no nginx, redis-server or nslookup), so lookups do not depend on the
 * machine. */
static int argv_setup(void **state)
{
	struct argv_env *e = calloc(1, sizeof(*e));
	const char *p = getenv("PATH");

	snprintf(e->dir, sizeof(e->dir), "/tmp/k1s-catalog-XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	make_prog(e->dir, "sh");
	make_prog(e->dir, "curl");
	make_prog(e->dir, "python3");
	make_prog(e->dir, "sleep");
	make_prog(e->dir, "busybox");
	/* Not executable: not a program. */
	{
		char path[256];
		FILE *f;

		snprintf(path, sizeof(path), "%s/wget", e->dir);
		f = fopen(path, "w");
		fclose(f);
	}
	e->old_path = p ? strdup(p) : NULL;
	setenv("PATH", e->dir, 1);
	e->c = pod_catalog_load(NULL, NULL);
	*state = e;
	return e->c ? 0 : -1;
}

static int argv_teardown(void **state)
{
	struct argv_env *e = *state;
	char cmd[128];

	if (e->old_path)
		setenv("PATH", e->old_path, 1);
	else
		unsetenv("PATH");
	free(e->old_path);
	pod_catalog_free(e->c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
	if (system(cmd) != 0)
		return -1;
	free(e);
	return 0;
}

/* Runs pod_catalog_argv with command and args given as JSON text (or
 * NULL) and checks the argv; "@" in want stands for the fake busybox. */
static void check_argv(struct argv_env *e, const char *image, const char *command, const char *args,
                       const char *const *want)
{
	json_t *cj = command ? json_loads(command, 0, NULL) : NULL;
	json_t *aj = args ? json_loads(args, 0, NULL) : NULL;
	const char *w[16];
	char bb[128], **argv = (char **)1;
	size_t i;
	int r;

	if (command)
		assert_non_null(cj);
	if (args)
		assert_non_null(aj);
	snprintf(bb, sizeof(bb), "%s/busybox", e->dir);
	r = pod_catalog_argv(e->c, image, cj, aj, &argv);
	if (!want) {
		if (r != 1)
			fail_msg("%s %s %s: %d, want the echo app", image, command, args, r);
		assert_null(argv);
	} else {
		if (r != 0)
			fail_msg("%s %s %s: %d", image, command, args, r);
		for (i = 0; want[i]; i++)
			w[i] = strcmp(want[i], "@") == 0 ? bb : want[i];
		w[i] = NULL;
		assert_strv((const char *const *)argv, w);
		free(argv);
	}
	json_decref(cj);
	json_decref(aj);
}

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

static void argv_kube_rules(void **state)
{
	struct argv_env *e = *state;

	/* Neither: entrypoint + cmd. */
	check_argv(e, "busybox", NULL, NULL, ARGV("sh"));
	check_argv(e, "curlimages/curl", NULL, NULL, ARGV("curl"));
	check_argv(e, "python:3", NULL, NULL, ARGV("python3"));
	/* Empty arrays are absent. */
	check_argv(e, "busybox", "[]", "[]", ARGV("sh"));
	/* command replaces entrypoint and drops cmd. */
	check_argv(e, "busybox", "[\"sh\"]", NULL, ARGV("sh"));
	check_argv(e, "python", "[\"sleep\", \"1\"]", NULL, ARGV("sleep", "1"));
	/* args replace cmd after the entrypoint. */
	check_argv(e, "python", NULL, "[\"-c\", \"print(1)\"]", ARGV("-c", "print(1)"));
	check_argv(e, "curlimages/curl", NULL, "[\"-s\", \"http://api\"]",
	           ARGV("curl", "-s", "http://api"));
	check_argv(e, "curlimages/curl", NULL, "[\"http://api\"]", ARGV("curl", "http://api"));
	/* Both. */
	check_argv(e, "curlimages/curl", "[\"sh\", \"-c\"]", "[\"curl x\"]",
	           ARGV("sh", "-c", "curl x"));
	check_argv(e, "busybox", "[\"sleep\"]", "[\"3600\"]", ARGV("sleep", "3600"));
}

static void argv_passthrough(void **state)
{
	struct argv_env *e = *state;

	/* `kubectl run --image=curlimages/curl -- curl http://api-service`:
	 * the entrypoint script runs a program named first as is. */
	check_argv(e, "curlimages/curl:8.5.0", NULL, "[\"curl\", \"http://api-service\"]",
	           ARGV("curl", "http://api-service"));
	check_argv(e, "curlimages/curl", NULL, "[\"sh\", \"-c\", \"echo hi\"]",
	           ARGV("sh", "-c", "echo hi"));
	/* Not for an image with an entrypoint and no passthrough. */
	{
		static const char doc[] = "- {image: x/tool, entrypoint: [python3, -m, tool]}\n";
		struct pod_catalog *builtin = e->c;

		assert_int_equal(pod_catalog_parse(doc, sizeof(doc) - 1, "t", &e->c, NULL, 0), 0);
		check_argv(e, "ghcr.io/x/tool", NULL, "[\"sleep\"]",
		           ARGV("python3", "-m", "tool", "sleep"));
		pod_catalog_free(e->c);
		e->c = builtin;
	}
	/* Not a program (not executable): curl's argument. */
	check_argv(e, "curlimages/curl", NULL, "[\"wget\"]", ARGV("curl", "wget"));
}

static void argv_busybox_applets(void **state)
{
	struct argv_env *e = *state;

	/* `kubectl run dns-test --image=busybox -- nslookup api-service`. */
	check_argv(e, "busybox", NULL, "[\"nslookup\", \"api-service\"]",
	           ARGV("@", "nslookup", "api-service"));
	check_argv(e, "docker.io/library/busybox:1.36", "[\"nslookup\"]", "[\"api-service\"]",
	           ARGV("@", "nslookup", "api-service"));
	check_argv(e, "alpine", NULL, "[\"/bin/nslookup-x\", \"a\"]", ARGV("@", "nslookup-x", "a"));
	check_argv(e, "busybox", NULL, "[\"wget\", \"-qO-\", \"http://x\"]",
	           ARGV("@", "wget", "-qO-", "http://x"));
	/* Programs the host has run as themselves. */
	check_argv(e, "busybox", NULL, "[\"sh\", \"-c\", \"nslookup x\"]",
	           ARGV("sh", "-c", "nslookup x"));
	/* Only busybox images. */
	check_argv(e, "python", "[\"nslookup\"]", NULL, ARGV("nslookup"));
	check_argv(e, "my-app", "[\"nslookup\"]", NULL, ARGV("nslookup"));
}

static void argv_echo_app(void **state)
{
	struct argv_env *e = *state;

	/* Unknown image, nothing given. */
	check_argv(e, "my-api:1.0", NULL, NULL, NULL);
	check_argv(e, "my-api:1.0", "[]", "[]", NULL);
	/* A known image whose program this host lacks. */
	check_argv(e, "nginx", NULL, NULL, NULL);
	check_argv(e, "redis:7", NULL, NULL, NULL);
	/* But a command is run as given, present or not. */
	check_argv(e, "nginx", "[\"nginx\", \"-t\"]", NULL, ARGV("nginx", "-t"));
	/* Unknown image with args: as an image with no entrypoint. */
	check_argv(e, "my-api", NULL, "[\"sleep\", \"5\"]", ARGV("sleep", "5"));
	check_argv(e, "my-api", "[\"sleep\"]", "[\"5\"]", ARGV("sleep", "5"));
}

static void argv_no_busybox_on_host(void **state)
{
	struct argv_env *e = *state;
	char path[256];

	snprintf(path, sizeof(path), "%s/busybox", e->dir);
	assert_int_equal(unlink(path), 0);
	/* Left as is: the start fails visibly rather than running another
	 * program. */
	check_argv(e, "busybox", NULL, "[\"nslookup\", \"x\"]", ARGV("nslookup", "x"));
	make_prog(e->dir, "busybox");
}

static void argv_errors(void **state)
{
	struct argv_env *e = *state;
	json_t *obj = json_object(), *mixed = json_pack("[si]", "sleep", 5);
	json_t *empty = json_pack("[s]", ""), *one = json_pack("[s]", "sleep");
	char **argv = (char **)1;

	assert_int_equal(pod_catalog_argv(e->c, "busybox", obj, NULL, &argv), -EINVAL);
	assert_null(argv);
	assert_int_equal(pod_catalog_argv(e->c, "busybox", NULL, obj, &argv), -EINVAL);
	assert_int_equal(pod_catalog_argv(e->c, "busybox", mixed, NULL, &argv), -EINVAL);
	assert_int_equal(pod_catalog_argv(e->c, "my-app", NULL, mixed, &argv), -EINVAL);
	assert_int_equal(pod_catalog_argv(e->c, "my-app", empty, NULL, &argv), -EINVAL);
	/* No catalog: every image is unknown. */
	assert_int_equal(pod_catalog_argv(NULL, "busybox", NULL, NULL, &argv), 1);
	assert_int_equal(pod_catalog_argv(NULL, "busybox", one, NULL, &argv), 0);
	assert_string_equal(argv[0], "sleep");
	assert_null(argv[1]);
	free(argv);
	json_decref(obj);
	json_decref(mixed);
	json_decref(empty);
	json_decref(one);
}

/* ---- files ---- */

static void parse_errors(void **state)
{
	static const char *const cases[][2] = {
	    {"- image: busybox\n  cmd: [sh\n", "t.yaml:3: YAML: "},
	    {"- image: busybox\n\tcmd: [sh]\n", "t.yaml:2: YAML: "},
	    {"image: busybox\ncmd: [sh]\n", "t.yaml:1: the catalog must be a list"},
	    {"- busybox\n", "t.yaml:1: an entry must be a mapping"},
	    {"- image: busybox\n  cmd: sh\n", "t.yaml:2: cmd must be a list of strings"},
	    {"- image: busybox\n  entrypoint: {a: b}\n",
	     "t.yaml:2: entrypoint must be a list of strings"},
	    {"- image: busybox\n  command: [sh]\n", "t.yaml:2: unknown key \"command\""},
	    {"- image: busybox\n  [a]: [sh]\n", "t.yaml:2: keys must be strings"},
	    {"- cmd: [sh]\n", "t.yaml:1: an entry needs an image"},
	    {"- image: [busybox]\n  cmd: [sh]\n", "t.yaml:1: image must be a string"},
	    {"- image: busybox\n", "t.yaml:1: image busybox needs an entrypoint or a cmd"},
	    {"- image: busybox\n  cmd: []\n  entrypoint: []\n",
	     "t.yaml:1: image busybox needs an entrypoint or a cmd"},
	    {"- image: a\n  cmd: [x]\n- image: docker.io/library/a:2\n  cmd: [y]\n",
	     "t.yaml:3: image a is listed twice"},
	    {"- &e {image: a, cmd: [x]}\n- *e\n", "t.yaml:1: image a is listed twice"},
	    {"- image: a\n  cmd: [x]\n  busybox: yes\n", "t.yaml:3: busybox must be true or false"},
	    {"- image: a\n  cmd: [x]\n  passthrough: [true]\n",
	     "t.yaml:3: passthrough must be true or false"},
	    {"- image: a\n  cmd: [[x]]\n", "t.yaml:2: cmd must be a string"},
	    {"- image: a\n  cmd: [\"x\\0y\"]\n", "t.yaml:2: cmd contains a NUL byte"},
	    {"- image: a\n  image: b\n  cmd: [x]\n", "t.yaml:2: duplicate key \"image\""},
	    {"- image: \":1.0\"\n  cmd: [x]\n", "t.yaml:1: image \":1.0\" is not an image name"},
	    {"- image: a\n  cmd: [\"\"]\n", "t.yaml:1: image a: empty program name"},
	    {"- image: a\n  entrypoint: [\"\"]\n  cmd: [x]\n",
	     "t.yaml:1: image a: empty program name"},
	    {"- image: a\n  cmd: [x]\n---\n- image: b\n  cmd: [y]\n",
	     "t.yaml:4: more than one YAML document"},
	    {"- image: a\n  cmd: [x]\n---\n- image: b\n  cmd: [y\n", "t.yaml:6: YAML: "},
	    {"\"unterminated\n", "t.yaml:"},
	    {"- image: a\n  face: dhcp\n", "t.yaml:2: face \"dhcp\": expected dns or ingress"},
	    {"- image: a\n  face: dns\n  cmd: [x]\n",
	     "t.yaml:1: image a: a face has no entrypoint or cmd"},
	};
	struct pod_catalog *c = (struct pod_catalog *)1;
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = pod_catalog_parse(cases[i][0], strlen(cases[i][0]), "t.yaml", &c, err,
		                          sizeof(err));

		if (r != -EINVAL)
			fail_msg("case %zu: %d", i, r);
		assert_null(c);
		if (strncmp(err, cases[i][1], strlen(cases[i][1])) != 0)
			fail_msg("case %zu: \"%s\", want \"%s...\"", i, err, cases[i][1]);
	}
	/* A small error buffer is no problem. */
	assert_int_equal(pod_catalog_parse("- 1\n", 4, "t.yaml", &c, err, 4), -EINVAL);
	assert_string_equal(err, "t.y");
	assert_int_equal(pod_catalog_parse("- 1\n", 4, "t.yaml", &c, NULL, 0), -EINVAL);
}

static void parse_valid(void **state)
{
	static const char doc[] = "# comment\n"
	                          "- image: ghcr.io/example/tool:2\n"
	                          "  entrypoint: [\"/usr/bin/env\", tool]\n"
	                          "  cmd: [--serve]\n"
	                          "- {image: busybox, cmd: [sleep, \"3600\"], busybox: True}\n";
	struct pod_catalog *c;
	char err[256];

	assert_int_equal(pod_catalog_parse(doc, sizeof(doc) - 1, "t", &c, err, sizeof(err)), 0);
	assert_strv(pod_catalog_entrypoint(c, "example/tool"),
	            ARGV("/usr/bin/env", "tool", "--serve"));
	assert_strv(pod_catalog_entrypoint(c, "busybox:1"), ARGV("sleep", "3600"));
	/* Only what the file lists. */
	assert_null(pod_catalog_entrypoint(c, "curlimages/curl"));
	pod_catalog_free(c);
	/* Empty files and documents: no entries. */
	assert_int_equal(pod_catalog_parse("", 0, "t", &c, err, sizeof(err)), 0);
	assert_null(pod_catalog_entrypoint(c, "busybox"));
	pod_catalog_free(c);
	assert_int_equal(pod_catalog_parse("# nothing\n", 10, "t", &c, err, sizeof(err)), 0);
	pod_catalog_free(c);
	assert_int_equal(pod_catalog_parse("[]\n", 3, "t", &c, err, sizeof(err)), 0);
	pod_catalog_free(c);
}

static void load_files(void **state)
{
	char dir[] = "/tmp/k1s-catalog-XXXXXX", path[128], cmd[128];
	struct pod_catalog *c;
	FILE *f;
	int err = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/images.yaml", dir);
	f = fopen(path, "w");
	fputs("- image: my-api\n  cmd: [python3, -m, http.server, \"3000\"]\n", f);
	fclose(f);
	c = pod_catalog_load(path, &err);
	assert_non_null(c);
	assert_int_equal(err, 0);
	assert_strv(pod_catalog_entrypoint(c, "my-api:1.0"),
	            ARGV("python3", "-m", "http.server", "3000"));
	assert_null(pod_catalog_entrypoint(c, "busybox"));
	pod_catalog_free(c);

	f = fopen(path, "w");
	fputs("- image: my-api\n  cmd: [python3\n", f);
	fclose(f);
	assert_null(pod_catalog_load(path, &err));
	assert_int_equal(err, -EINVAL);

	snprintf(path, sizeof(path), "%s/missing.yaml", dir);
	assert_null(pod_catalog_load(path, &err));
	assert_int_equal(err, -ENOENT);
	/* A directory is not a catalog. */
	assert_null(pod_catalog_load(dir, &err));
	assert_int_equal(err, -EINVAL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(builtin_entries),
	    cmocka_unit_test(shipped_file_matches_builtin),
	    cmocka_unit_test(image_names),
	    cmocka_unit_test(faces),
	    cmocka_unit_test_setup_teardown(argv_kube_rules, argv_setup, argv_teardown),
	    cmocka_unit_test_setup_teardown(argv_passthrough, argv_setup, argv_teardown),
	    cmocka_unit_test_setup_teardown(argv_busybox_applets, argv_setup, argv_teardown),
	    cmocka_unit_test_setup_teardown(argv_echo_app, argv_setup, argv_teardown),
	    cmocka_unit_test_setup_teardown(argv_no_busybox_on_host, argv_setup, argv_teardown),
	    cmocka_unit_test_setup_teardown(argv_errors, argv_setup, argv_teardown),
	    cmocka_unit_test(parse_errors),
	    cmocka_unit_test(parse_valid),
	    cmocka_unit_test(load_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
