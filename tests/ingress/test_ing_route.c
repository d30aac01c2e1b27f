/* Routing as ingress-nginx controller-v1.9.0 routes, case by case: the
 * tutorial's Ingress (the root to the frontend, /api rewritten to / as
 * `rewrite "(?i)/api" / break;` does, the admin host 503 until its Service
 * and Endpoints exist, an unknown host 404), path types and their order,
 * hosts and wildcards, classes, every annotation implemented, and the
 * Warning events for what is not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "ing_route.h"

static json_t *ingresses, *classes, *services, *endpoints, *config;
static struct ing_table *table;
static char warnings[8192];
static unsigned nwarn;

/* JSON with single quotes for double ones, to keep fixtures readable. */
static json_t *J(const char *s)
{
	char *d = strdup(s);
	json_error_t err;
	json_t *j;

	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(d, 0, &err);
	if (!j)
		fail_msg("bad fixture: %s: %s", err.text, d);
	free(d);
	return j;
}

static void on_warn(void *arg, const char *ns, const char *name, const char *reason,
		    const char *message)
{
	size_t n = strlen(warnings);

	(void)arg;
	nwarn++;
	snprintf(warnings + n, sizeof(warnings) - n, "%s/%s %s: %s\n", ns, name, reason, message);
}

static int setup(void **state)
{
	(void)state;
	ingresses = json_object();
	classes = J("{'nginx':{'metadata':{'name':'nginx','annotations':"
		    "{'ingressclass.kubernetes.io/is-default-class':'true'}},"
		    "'spec':{'controller':'k8s.io/ingress-nginx'}}}");
	services = json_object();
	endpoints = json_object();
	config = NULL;
	table = NULL;
	warnings[0] = 0;
	nwarn = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ing_table_free(table);
	json_decref(ingresses);
	json_decref(classes);
	json_decref(services);
	json_decref(endpoints);
	json_decref(config);
	return 0;
}

/* An Ingress in namespace default: spec and annotations as JSON, created
 * at second `age` of the day. */
static void ingress(const char *name, int age, const char *annotations, const char *spec)
{
	char buf[8192];

	snprintf(buf, sizeof(buf),
		 "{'metadata':{'namespace':'default','name':'%s',"
		 "'creationTimestamp':'2026-01-01T00:00:%02dZ','annotations':%s},'spec':%s}",
		 name, age, annotations ? annotations : "{}", spec);
	snprintf(buf + 4096, 4096, "default/%s", name);
	json_object_set_new(ingresses, buf + 4096, J(buf));
}

/* A Service with one port (named when pname) and its Endpoints with the
 * ready addresses ips (space separated) on target port tport. */
static void service(const char *name, int port, const char *pname, int tport, const char *ips)
{
	char key[128], buf[2048], addrs[1024] = "";
	const char *p = ips;

	snprintf(key, sizeof(key), "default/%s", name);
	snprintf(buf, sizeof(buf),
		 "{'metadata':{'namespace':'default','name':'%s'},'spec':{'type':'ClusterIP',"
		 "'ports':[{%s%s%s'port':%d,'targetPort':%d}]}}",
		 name, pname ? "'name':'" : "", pname ? pname : "", pname ? "'," : "", port, tport);
	json_object_set_new(services, key, J(buf));
	if (!ips)
		return;
	while (*p) {
		size_t n = strcspn(p, " ");
		size_t l = strlen(addrs);

		snprintf(addrs + l, sizeof(addrs) - l, "%s{'ip':'%.*s'}", l ? "," : "", (int)n, p);
		p += n + (p[n] == ' ');
	}
	snprintf(buf, sizeof(buf),
		 "{'metadata':{'namespace':'default','name':'%s'},'subsets':[{'addresses':[%s],"
		 "'notReadyAddresses':[{'ip':'10.244.9.9'}],"
		 "'ports':[{%s%s%s'port':%d,'protocol':'TCP'}]}]}",
		 name, addrs, pname ? "'name':'" : "", pname ? pname : "", pname ? "'," : "", tport);
	json_object_set_new(endpoints, key, J(buf));
}

static void build(void)
{
	struct ing_world w = {ingresses, classes, services, endpoints, config};

	ing_table_free(table);
	warnings[0] = 0;
	nwarn = 0;
	table = ing_table_build(&w, on_warn, NULL);
	assert_non_null(table);
}

struct got {
	int status;
	char target[1024];
	const char *backend;	/* upstream name, or "" */
	const struct ing_route *r;
};

static struct ing_route last;

static struct got route4(const char *host, const char *target, const char *client, bool tls)
{
	struct got g = {0};
	const char *q = strchr(target, '?');
	struct ing_str h = {host, strlen(host)};
	struct ing_str path = {target, q ? (size_t)(q - target) : strlen(target)};
	struct ing_str query = {q ? q + 1 : "", q ? strlen(q + 1) : 0};
	struct in_addr ip;
	char buf[1024];

	inet_pton(AF_INET, client, &ip);
	ing_table_route(table, h, path, query, ip.s_addr, tls, &last, buf, sizeof(buf));
	g.status = last.status;
	snprintf(g.target, sizeof(g.target), "%.*s", (int)last.target.n, last.target.p);
	g.backend = last.be ? last.be->name : "";
	g.r = &last;
	return g;
}

static struct got route(const char *host, const char *target)
{
	return route4(host, target, "192.0.2.7", false);
}

/* Asserts a proxied request: the upstream and the target sent. */
#define assert_proxy(g, up, tgt)                                                               \
	do {                                                                                   \
		struct got g_ = (g);                                                           \
		assert_int_equal(g_.status, 0);                                                \
		assert_string_equal(g_.backend, up);                                           \
		assert_string_equal(g_.target, tgt);                                           \
	} while (0)

#define assert_answer(g, st, loc)                                                              \
	do {                                                                                   \
		struct got g_ = (g);                                                           \
		assert_int_equal(g_.status, st);                                               \
		assert_string_equal(g_.target, loc);                                           \
	} while (0)

static const char tutorial_spec[] =
	"{'ingressClassName':'nginx','rules':["
	"{'host':'myapp.com','http':{'paths':["
	" {'path':'/','pathType':'Prefix','backend':{'service':{'name':'frontend-service',"
	"  'port':{'number':80}}}},"
	" {'path':'/api','pathType':'Prefix','backend':{'service':{'name':'api-service',"
	"  'port':{'number':80}}}}]}},"
	"{'host':'admin.myapp.com','http':{'paths':["
	" {'path':'/','pathType':'Prefix','backend':{'service':{'name':'admin-service',"
	"  'port':{'number':80}}}}]}}]}";

static void tutorial(void)
{
	service("frontend-service", 80, NULL, 8080, "10.244.0.5 10.244.0.6");
	service("api-service", 80, NULL, 8080, "10.244.0.7");
	ingress("app-ingress", 1, "{'nginx.ingress.kubernetes.io/rewrite-target':'/'}",
		tutorial_spec);
	build();
}

static void test_tutorial(void **state)
{
	struct got g;

	(void)state;
	tutorial();
	assert_string_equal(warnings, "");
	assert_int_equal(ing_table_rules(table), 3);

	g = route("myapp.com", "/");
	assert_proxy(g, "default-frontend-service-80", "/");
	assert_int_equal(g.r->be->nep, 2);
	assert_int_equal(ntohs(g.r->be->ep[0].sin_port), 8080);
	assert_string_equal(g.r->ingress, "default/app-ingress");
	/* the root location's target equals its path: no rewrite */
	assert_proxy(route("myapp.com", "/index.html?v=2"), "default-frontend-service-80",
		     "/index.html?v=2");
	assert_proxy(route("MyApp.COM", "/"), "default-frontend-service-80", "/");

	/* rewrite "(?i)/api" / break: the whole URI becomes "/", the query
	 * string stays; the host's locations are regexes ~* "^/api" */
	assert_proxy(route("myapp.com", "/api"), "default-api-service-80", "/");
	assert_proxy(route("myapp.com", "/api/"), "default-api-service-80", "/");
	assert_proxy(route("myapp.com", "/api/x"), "default-api-service-80", "/");
	assert_proxy(route("myapp.com", "/apix"), "default-api-service-80", "/");
	assert_proxy(route("myapp.com", "/API/x"), "default-api-service-80", "/");
	assert_proxy(route("myapp.com", "/api/x?q=1&r=2"), "default-api-service-80", "/?q=1&r=2");
	assert_proxy(route("myapp.com", "/ap"), "default-frontend-service-80", "/ap");

	/* no admin-service yet: 503 */
	g = route("admin.myapp.com", "/");
	assert_int_equal(g.status, 503);
	assert_string_equal(g.backend, "default-admin-service-80");
	assert_int_equal(g.r->be->nep, 0);

	/* an unknown host: the default backend's 404 */
	g = route("other.example", "/");
	assert_int_equal(g.status, 404);
	assert_string_equal(g.backend, "upstream-default-backend");
	assert_null(g.r->ingress);

	/* the Service alone: still no endpoint */
	service("admin-service", 80, NULL, 9090, NULL);
	build();
	assert_int_equal(route("admin.myapp.com", "/").status, 503);
	service("admin-service", 80, NULL, 9090, "10.244.0.8");
	build();
	g = route("admin.myapp.com", "/users");
	assert_proxy(g, "default-admin-service-80", "/users");
	assert_int_equal(g.r->be->nep, 1);
	assert_int_equal(g.r->be->ep[0].sin_addr.s_addr, inet_addr("10.244.0.8"));
	assert_int_equal(ntohs(g.r->be->ep[0].sin_port), 9090);
}

#define SVC(name, num) "{'service':{'name':'" name "','port':{'number':" #num "}}}"
#define PATH(p, type, backend) "{'path':'" p "','pathType':'" type "','backend':" backend "}"
#define HOST(h, ...) "{'ingressClassName':'nginx','rules':[{'host':'" h "','http':{'paths':[" \
	__VA_ARGS__ "]}}]}"

static void services_abc(void)
{
	service("a", 80, NULL, 80, "10.244.1.1");
	service("b", 80, NULL, 80, "10.244.1.2");
	service("c", 80, NULL, 80, "10.244.1.3");
}

static void test_prefix_elements(void **state)
{
	(void)state;
	services_abc();
	ingress("p", 1, NULL, HOST("h.test", PATH("/foo", "Prefix", SVC("a", 80))));
	build();
	assert_proxy(route("h.test", "/foo"), "default-a-80", "/foo");
	assert_proxy(route("h.test", "/foo/"), "default-a-80", "/foo/");
	assert_proxy(route("h.test", "/foo/bar?x"), "default-a-80", "/foo/bar?x");
	/* not a whole path element: the host's root, the default backend */
	assert_int_equal(route("h.test", "/foobar").status, 404);
	assert_int_equal(route("h.test", "/").status, 404);
	/* prefix matching is case-sensitive where no regex is involved */
	assert_int_equal(route("h.test", "/FOO").status, 404);
}

static void test_exact_before_prefix(void **state)
{
	(void)state;
	services_abc();
	ingress("e", 1, NULL,
		HOST("h.test", PATH("/foo", "Prefix", SVC("b", 80)) "," PATH("/foo", "Exact", SVC("a", 80)) ","
		     PATH("/bar", "Exact", SVC("c", 80))));
	build();
	assert_proxy(route("h.test", "/foo"), "default-a-80", "/foo");
	assert_proxy(route("h.test", "/foo/x"), "default-b-80", "/foo/x");
	assert_proxy(route("h.test", "/foo/"), "default-b-80", "/foo/");
	assert_proxy(route("h.test", "/bar"), "default-c-80", "/bar");
	assert_int_equal(route("h.test", "/bar/").status, 404);
}

static void test_longest_across_ingresses(void **state)
{
	(void)state;
	services_abc();
	ingress("one", 1, NULL, HOST("h.test", PATH("/a", "Prefix", SVC("a", 80))));
	ingress("two", 2, NULL, HOST("h.test", PATH("/a/b", "Prefix", SVC("b", 80))));
	ingress("three", 3, NULL, HOST("h.test", PATH("/", "Prefix", SVC("c", 80))));
	build();
	assert_proxy(route("h.test", "/a/b/c"), "default-b-80", "/a/b/c");
	assert_proxy(route("h.test", "/a/bc"), "default-a-80", "/a/bc");
	assert_proxy(route("h.test", "/a"), "default-a-80", "/a");
	assert_proxy(route("h.test", "/z"), "default-c-80", "/z");
	assert_string_equal(route("h.test", "/a/b").r->ingress, "default/two");
}

static void test_oldest_wins(void **state)
{
	(void)state;
	services_abc();
	/* "z-old" is older though its name sorts last */
	ingress("a-new", 5, NULL, HOST("h.test", PATH("/x", "Prefix", SVC("a", 80))));
	ingress("z-old", 2, NULL, HOST("h.test", PATH("/x", "Prefix", SVC("b", 80))));
	build();
	assert_proxy(route("h.test", "/x"), "default-b-80", "/x");
	assert_string_equal(route("h.test", "/x/y").r->ingress, "default/z-old");
	/* as old: the greater namespace/name wins, as store.go sorts them */
	json_object_clear(ingresses);
	ingress("a-same", 3, NULL, HOST("h.test", PATH("/x", "Prefix", SVC("a", 80))));
	ingress("b-same", 3, NULL, HOST("h.test", PATH("/x", "Prefix", SVC("b", 80))));
	build();
	assert_proxy(route("h.test", "/x"), "default-b-80", "/x");
}

static void test_hosts(void **state)
{
	(void)state;
	services_abc();
	ingress("w", 1, NULL, HOST("*.example.com", PATH("/", "Prefix", SVC("a", 80))));
	ingress("x", 2, NULL, HOST("www.example.com", PATH("/", "Prefix", SVC("b", 80))));
	ingress("any", 3, NULL,
		"{'ingressClassName':'nginx','rules':[{'http':{'paths':["
		PATH("/any", "Prefix", SVC("c", 80)) "]}}]}");
	build();
	assert_proxy(route("foo.example.com", "/"), "default-a-80", "/");
	assert_proxy(route("FOO.Example.Com.", "/"), "default-a-80", "/");
	/* the exact name before the wildcard */
	assert_proxy(route("www.example.com", "/"), "default-b-80", "/");
	/* a wildcard covers exactly one label */
	assert_int_equal(route("a.b.example.com", "/").status, 404);
	assert_int_equal(route("example.com", "/").status, 404);
	/* a rule without a host matches any host no server names */
	assert_proxy(route("whatever.test", "/any/1"), "default-c-80", "/any/1");
	assert_proxy(route("", "/any"), "default-c-80", "/any");
	assert_int_equal(route("foo.example.com", "/any").status, 0);
	assert_string_equal(route("foo.example.com", "/any").backend, "default-a-80");
}

static void test_default_backend(void **state)
{
	(void)state;
	services_abc();
	/* an Ingress with only a defaultBackend: the catch-all server */
	ingress("def", 2, NULL, "{'ingressClassName':'nginx','defaultBackend':" SVC("a", 80) "}");
	/* with rules too: the root of its own hosts */
	ingress("both", 1, NULL,
		"{'ingressClassName':'nginx','defaultBackend':" SVC("b", 80) ",'rules':["
		"{'host':'h.test','http':{'paths':[" PATH("/p", "Exact", SVC("c", 80)) "]}}]}");
	build();
	assert_proxy(route("unknown.test", "/x"), "default-a-80", "/x");
	assert_proxy(route("h.test", "/p"), "default-c-80", "/p");
	assert_proxy(route("h.test", "/other"), "default-b-80", "/other");
}

static void test_implementation_specific(void **state)
{
	(void)state;
	services_abc();
	/* without use-regex, ingress-nginx writes a plain nginx prefix location */
	ingress("i", 1, NULL, HOST("h.test", PATH("/foo", "ImplementationSpecific", SVC("a", 80))));
	build();
	assert_proxy(route("h.test", "/foo"), "default-a-80", "/foo");
	assert_proxy(route("h.test", "/foobar"), "default-a-80", "/foobar");
	assert_int_equal(route("h.test", "/fo").status, 404);

	/* an ImplementationSpecific "/" is the host's root */
	ingress("root", 2, NULL, HOST("h.test", PATH("/", "ImplementationSpecific", SVC("b", 80))));
	build();
	assert_proxy(route("h.test", "/fo"), "default-b-80", "/fo");
	assert_proxy(route("h.test", "/foo"), "default-a-80", "/foo");
}

static void test_auto_redirect(void **state)
{
	(void)state;
	services_abc();
	/* a prefix location "/foo/" answers "/foo" with nginx's 301 */
	ingress("s", 1, NULL, HOST("h.test", PATH("/foo/", "ImplementationSpecific", SVC("a", 80))));
	build();
	assert_answer(route("h.test", "/foo?a=1"), 301, "http://h.test/foo/?a=1");
	assert_proxy(route("h.test", "/foo/"), "default-a-80", "/foo/");
}

static void test_regex_capture(void **state)
{
	(void)state;
	services_abc();
	ingress("r", 1,
		"{'nginx.ingress.kubernetes.io/use-regex':'true',"
		"'nginx.ingress.kubernetes.io/rewrite-target':'/$2'}",
		HOST("h.test", PATH("/something(/|$)(.*)", "ImplementationSpecific", SVC("a", 80)) ","
		     PATH("/s", "Prefix", SVC("b", 80))));
	build();
	assert_string_equal(warnings, "");
	assert_proxy(route("h.test", "/something"), "default-a-80", "/");
	assert_proxy(route("h.test", "/something/"), "default-a-80", "/");
	assert_proxy(route("h.test", "/something/new?x=1"), "default-a-80", "/new?x=1");
	assert_proxy(route("h.test", "/Something/New"), "default-a-80", "/New");
	/* the shorter regex after the longer one; its rewrite is "/$2" too,
	 * with no second group */
	assert_proxy(route("h.test", "/somethingelse"), "default-b-80", "/");
	/* %-escapes are decoded for matching and escaped again when sent */
	assert_proxy(route("h.test", "/something/a%20b"), "default-a-80", "/a%20b");
	assert_proxy(route("h.test", "/something/%3Fq"), "default-a-80", "/%3Fq");
	/* as nginx 1.22 sends them */
	assert_proxy(route("h.test", "/something/%3B%3F%27%3E%5C%5E%60%7B%7C%7D%5B%5D%21%24%28%29"
				     "%2A%2C%3A%40%7E%22%3C%23%25%26%2B"),
		     "default-a-80", "/;%3F'%3E%5C%5E%60%7B%7C%7D[]!$()*,:@~%22%3C%23%25&+");
}

static void test_regex_order(void **state)
{
	(void)state;
	services_abc();
	ingress("o", 1, "{'nginx.ingress.kubernetes.io/use-regex':'true'}",
		HOST("h.test", PATH("/a", "ImplementationSpecific", SVC("a", 80)) ","
		     PATH("/a/[0-9]+", "ImplementationSpecific", SVC("b", 80)) ","
		     PATH("/a/1", "ImplementationSpecific", SVC("c", 80))));
	build();
	/* longest first: "/a/[0-9]+" (9) before "/a/1" (4) before "/a" */
	assert_proxy(route("h.test", "/a/1"), "default-b-80", "/a/1");
	assert_proxy(route("h.test", "/a/x"), "default-a-80", "/a/x");
	assert_proxy(route("h.test", "/ab"), "default-a-80", "/ab");

	/* plain strings and regexes keep one order between them */
	json_object_clear(ingresses);
	ingress("o", 1, "{'nginx.ingress.kubernetes.io/use-regex':'true'}",
		HOST("h.test", PATH("/Abc/Def", "ImplementationSpecific", SVC("a", 80)) ","
		     PATH("/abc/.*", "ImplementationSpecific", SVC("b", 80)) ","
		     PATH("/abc", "ImplementationSpecific", SVC("c", 80))));
	build();
	assert_proxy(route("h.test", "/abc/def"), "default-a-80", "/abc/def");
	assert_proxy(route("h.test", "/ABC/DEFG"), "default-a-80", "/ABC/DEFG");
	assert_proxy(route("h.test", "/abc/de"), "default-b-80", "/abc/de");
	assert_proxy(route("h.test", "/aBc"), "default-c-80", "/aBc");
	assert_int_equal(route("h.test", "/ab").status, 404);

	/* a path that is no regex is left out, with a warning */
	json_object_clear(ingresses);
	ingress("bad", 1, "{'nginx.ingress.kubernetes.io/use-regex':'true'}",
		HOST("h.test", PATH("/a(b", "ImplementationSpecific", SVC("a", 80)) ","
		     PATH("/", "Prefix", SVC("b", 80))));
	build();
	assert_proxy(route("h.test", "/a(b"), "default-b-80", "/a(b");
	assert_non_null(strstr(warnings, "default/bad InvalidRegex: path /a(b is not a valid "
					 "regular expression (missing closing parenthesis"));
}

static void test_regex_backtracking(void **state)
{
	(void)state;
	services_abc();
	ingress("bt", 1, "{'nginx.ingress.kubernetes.io/use-regex':'true'}",
		HOST("h.test", PATH("/(a+)+$", "ImplementationSpecific", SVC("a", 80))));
	build();
	assert_proxy(route("h.test", "/aaaa"), "default-a-80", "/aaaa");
	/* a match that would take 2^40 steps gives up: the location does not match */
	assert_int_equal(route("h.test", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab").status, 404);
}

static void test_rewrite_query(void **state)
{
	(void)state;
	services_abc();
	ingress("q", 1, "{'nginx.ingress.kubernetes.io/rewrite-target':'/new?from=old'}",
		HOST("h.test", PATH("/old", "Prefix", SVC("a", 80))));
	ingress("d", 2, "{'nginx.ingress.kubernetes.io/rewrite-target':'/bare?'}",
		HOST("d.test", PATH("/old", "Prefix", SVC("a", 80))));
	build();
	assert_proxy(route("h.test", "/old/x?a=1"), "default-a-80", "/new?from=old&a=1");
	assert_proxy(route("h.test", "/old"), "default-a-80", "/new?from=old");
	/* a target ending in '?' drops the request's arguments */
	assert_proxy(route("d.test", "/old?a=1"), "default-a-80", "/bare");

	/* a capture in the arguments is escaped as arguments are */
	ingress("c", 3, "{'nginx.ingress.kubernetes.io/use-regex':'true',"
		"'nginx.ingress.kubernetes.io/rewrite-target':'/x?v=$1'}",
		HOST("c.test", PATH("/q/(.*)", "ImplementationSpecific", SVC("a", 80))));
	build();
	assert_proxy(route("c.test", "/q/a%20b?z=1"), "default-a-80", "/x?v=a%20b&z=1");
	assert_proxy(route("c.test", "/q/a%26b%2Bc%23d%25e%3Df%22g%3Ch"), "default-a-80",
		     "/x?v=a%26b%2Bc%23d%25e=f%22g%3Ch");
	assert_proxy(route("c.test", "/q/%3B%3F%27%3E%5C%5E%60%7B%7C%7D%5B%5D%21%24%28%29%2A%2C"
				     "%2F%3A%40%7E"),
		     "default-a-80", "/x?v=%3B%3F'%3E%5C%5E%60%7B%7C%7D[]!$()*,/:@~");
}

static void test_app_root(void **state)
{
	(void)state;
	services_abc();
	ingress("app", 1, "{'nginx.ingress.kubernetes.io/app-root':'/app1'}",
		HOST("h.test", PATH("/", "Prefix", SVC("a", 80))));
	build();
	assert_answer(route("h.test", "/"), 302, "http://h.test/app1");
	assert_answer(route4("h.test", "/", "192.0.2.7", true), 302, "https://h.test/app1");
	assert_proxy(route("h.test", "/app1"), "default-a-80", "/app1");
}

static void test_ssl_redirect(void **state)
{
	(void)state;
	services_abc();
	ingress("tls", 1, NULL,
		"{'ingressClassName':'nginx','tls':[{'hosts':['secure.test'],'secretName':'s'}],"
		"'rules':[{'host':'secure.test','http':{'paths':[" PATH("/", "Prefix", SVC("a", 80))
		"]}}]}");
	ingress("plain", 2, NULL, HOST("plain.test", PATH("/", "Prefix", SVC("a", 80))));
	ingress("force", 3, "{'nginx.ingress.kubernetes.io/force-ssl-redirect':'true'}",
		HOST("force.test", PATH("/", "Prefix", SVC("a", 80))));
	ingress("off", 4, "{'nginx.ingress.kubernetes.io/ssl-redirect':'false',"
		"'nginx.ingress.kubernetes.io/preserve-trailing-slash':'true'}",
		"{'ingressClassName':'nginx','tls':[{'hosts':['off.test']}],"
		"'rules':[{'host':'off.test','http':{'paths':[" PATH("/", "Prefix", SVC("a", 80))
		"]}}]}");
	build();
	/* ssl-redirect (true by default) only where the host has TLS; 308,
	 * the trailing slash of $request_uri dropped */
	assert_answer(route("secure.test", "/x/?q=1"), 308, "https://secure.test/x/?q=1");
	assert_answer(route("secure.test", "/x/"), 308, "https://secure.test/x");
	assert_answer(route("secure.test", "/"), 308, "https://secure.test");
	assert_proxy(route4("secure.test", "/x", "192.0.2.7", true), "default-a-80", "/x");
	assert_proxy(route("plain.test", "/x"), "default-a-80", "/x");
	assert_answer(route("force.test", "/y"), 308, "https://force.test/y");
	assert_proxy(route4("force.test", "/y", "192.0.2.7", true), "default-a-80", "/y");
	assert_proxy(route("off.test", "/z/"), "default-a-80", "/z/");

	/* the certificate is the server's: every rule host of an Ingress with
	 * a tls section has one (the default one when its Secret is not
	 * there), a host only listed under another Ingress's tls has none */
	ingress("rulehost", 5, NULL,
		"{'ingressClassName':'nginx','tls':[{'hosts':['plain.test'],'secretName':'s'}],"
		"'rules':[{'host':'Other.Test','http':{'paths':[" PATH("/o", "Prefix", SVC("a", 80))
		"]}}]}");
	build();
	assert_answer(route("other.test", "/o?a=1&b=%20"), 308, "https://other.test/o?a=1&b=%20");
	assert_proxy(route("plain.test", "/x"), "default-a-80", "/x");
	assert_int_equal(route("unknown.test", "/x").status, 404);

	/* the ConfigMap: ssl-redirect off everywhere, another redirect code */
	config = J("{'ssl-redirect':'false','http-redirect-code':'301'}");
	build();
	assert_proxy(route("secure.test", "/x"), "default-a-80", "/x");
	assert_answer(route("force.test", "/y"), 301, "https://force.test/y");
}

static void test_redirects(void **state)
{
	(void)state;
	services_abc();
	ingress("perm", 1, "{'nginx.ingress.kubernetes.io/permanent-redirect':'https://new.test'}",
		HOST("p.test", PATH("/", "Prefix", SVC("a", 80))));
	ingress("code", 2, "{'nginx.ingress.kubernetes.io/permanent-redirect':"
		"'https://new.test$request_uri',"
		"'nginx.ingress.kubernetes.io/permanent-redirect-code':'308'}",
		HOST("c.test", PATH("/", "Prefix", SVC("a", 80))));
	ingress("temp", 3, "{'nginx.ingress.kubernetes.io/temporal-redirect':'http://t.test/x'}",
		HOST("t.test", PATH("/", "Prefix", SVC("a", 80))));
	ingress("bad", 4, "{'nginx.ingress.kubernetes.io/permanent-redirect':'ftp://x'}",
		HOST("b.test", PATH("/", "Prefix", SVC("a", 80))));
	ingress("range", 5, "{'nginx.ingress.kubernetes.io/permanent-redirect':'http://r.test',"
		"'nginx.ingress.kubernetes.io/permanent-redirect-code':'-5'}",
		HOST("r.test", PATH("/", "Prefix", SVC("a", 80))));
	ingress("nan", 6, "{'nginx.ingress.kubernetes.io/permanent-redirect':'http://n.test',"
		"'nginx.ingress.kubernetes.io/permanent-redirect-code':'30x',"
		"'nginx.ingress.kubernetes.io/upstream-vhost':'still.read'}",
		HOST("n.test", PATH("/", "Prefix", SVC("a", 80))));
	build();
	assert_answer(route("r.test", "/"), 301, "http://r.test");
	/* a code that is no number: no redirect, the rest still read */
	assert_proxy(route("n.test", "/"), "default-a-80", "/");
	assert_string_equal(route("n.test", "/").r->conf->vhost, "still.read");
	assert_answer(route("p.test", "/any"), 301, "https://new.test");
	assert_answer(route("c.test", "/a?b=1"), 308, "https://new.test/a?b=1");
	assert_answer(route("t.test", "/"), 302, "http://t.test/x");
	/* not an http URL: left out, with a warning */
	assert_proxy(route("b.test", "/"), "default-a-80", "/");
	assert_non_null(strstr(warnings, "default/bad InvalidAnnotation: "
					 "nginx.ingress.kubernetes.io/permanent-redirect"));
}

static void test_backend_protocol(void **state)
{
	struct got g;

	(void)state;
	services_abc();
	ingress("s", 1, "{'nginx.ingress.kubernetes.io/backend-protocol':'HTTPS'}",
		HOST("s.test", PATH("/", "Prefix", SVC("a", 80))));
	ingress("g", 2, "{'nginx.ingress.kubernetes.io/backend-protocol':'GRPC'}",
		HOST("g.test", PATH("/", "Prefix", SVC("a", 80))));
	build();
	g = route("s.test", "/");
	assert_int_equal(g.status, 0);
	assert_true(g.r->be->https);
	g = route("g.test", "/");
	assert_false(g.r->be->https);
	assert_int_equal(nwarn, 1);
	assert_non_null(strstr(warnings, "default/g UnsupportedAnnotation: "
					 "nginx.ingress.kubernetes.io/backend-protocol GRPC"));
}

static void test_proxy_settings(void **state)
{
	const struct ing_conf *c;

	(void)state;
	services_abc();
	ingress("p", 1, "{'nginx.ingress.kubernetes.io/proxy-body-size':'8m',"
		"'nginx.ingress.kubernetes.io/proxy-connect-timeout':'2',"
		"'nginx.ingress.kubernetes.io/proxy-read-timeout':'120',"
		"'nginx.ingress.kubernetes.io/proxy-send-timeout':'30',"
		"'nginx.ingress.kubernetes.io/upstream-vhost':'internal.svc'}",
		HOST("p.test", PATH("/", "Prefix", SVC("a", 80))));
	ingress("z", 2, "{'nginx.ingress.kubernetes.io/proxy-body-size':'0'}",
		HOST("z.test", PATH("/", "Prefix", SVC("a", 80))));
	ingress("d", 3, "{'nginx.ingress.kubernetes.io/proxy-body-size':'lots'}",
		HOST("d.test", PATH("/", "Prefix", SVC("a", 80))));
	build();
	c = route("p.test", "/").r->conf;
	assert_int_equal(c->body_max, 8 * 1024 * 1024);
	assert_int_equal(c->connect_timeout_ms, 2000);
	assert_int_equal(c->read_timeout_ms, 120000);
	assert_int_equal(c->send_timeout_ms, 30000);
	assert_string_equal(c->vhost, "internal.svc");
	assert_int_equal(route("z.test", "/").r->conf->body_max, 0);
	/* ingress-nginx's defaults */
	c = route("d.test", "/").r->conf;
	assert_int_equal(c->body_max, 1024 * 1024);
	assert_int_equal(c->connect_timeout_ms, 5000);
	assert_int_equal(c->read_timeout_ms, 60000);
	assert_int_equal(c->send_timeout_ms, 60000);
	assert_null(c->vhost);
	assert_non_null(strstr(warnings, "proxy-body-size: \"lots\" is not a size"));

	/* the ConfigMap under the annotations */
	config = J("{'proxy-body-size':'2k','proxy-read-timeout':'7','proxy-connect-timeout':'x'}");
	build();
	c = route("d.test", "/").r->conf;
	assert_int_equal(c->body_max, 2048);
	assert_int_equal(c->read_timeout_ms, 7000);
	assert_int_equal(c->connect_timeout_ms, 5000);
	assert_int_equal(route("p.test", "/").r->conf->body_max, 8 * 1024 * 1024);
	/* and the default backend's locations */
	assert_int_equal(route("nowhere.test", "/").r->status, 404);
}

static void test_whitelist(void **state)
{
	(void)state;
	services_abc();
	ingress("w", 1, "{'nginx.ingress.kubernetes.io/whitelist-source-range':"
		"'10.0.0.0/8, 192.168.1.5'}",
		HOST("w.test", PATH("/", "Prefix", SVC("a", 80))));
	ingress("bad", 2, "{'nginx.ingress.kubernetes.io/whitelist-source-range':'nonsense'}",
		HOST("bad.test", PATH("/", "Prefix", SVC("a", 80))));
	build();
	assert_proxy(route4("w.test", "/", "10.1.2.3", false), "default-a-80", "/");
	assert_proxy(route4("w.test", "/", "192.168.1.5", false), "default-a-80", "/");
	assert_int_equal(route4("w.test", "/", "192.168.1.6", false).status, 403);
	assert_int_equal(route4("w.test", "/", "11.0.0.1", false).status, 403);
	/* no valid network: the location is denied, 503 */
	assert_int_equal(route4("bad.test", "/", "10.1.2.3", false).status, 503);
	assert_non_null(strstr(warnings, "default/bad InvalidAnnotation"));

	/* the ConfigMap's list for Ingresses without the annotation */
	config = J("{'whitelist-source-range':'127.0.0.1/32'}");
	ingress("open", 3, NULL, HOST("o.test", PATH("/", "Prefix", SVC("a", 80))));
	build();
	assert_int_equal(route4("o.test", "/", "10.1.2.3", false).status, 403);
	assert_int_equal(route4("o.test", "/", "127.0.0.1", false).status, 0);
	assert_int_equal(route4("w.test", "/", "10.1.2.3", false).status, 0);
	/* not the catch-all's: its root location has no annotations */
	assert_int_equal(route4("nowhere.test", "/", "10.1.2.3", false).status, 404);
}

static void test_unsupported(void **state)
{
	(void)state;
	services_abc();
	ingress("u", 1, "{'nginx.ingress.kubernetes.io/limit-rps':'5',"
		"'nginx.ingress.kubernetes.io/rewrite-target':'/',"
		"'kubernetes.io/ingress.class':'nginx','example.com/other':'x'}",
		HOST("u.test", PATH("/", "Prefix", SVC("a", 80))));
	build();
	assert_int_equal(nwarn, 1);
	assert_string_equal(warnings,
			    "default/u UnsupportedAnnotation: annotation "
			    "nginx.ingress.kubernetes.io/limit-rps is not implemented by k1s and "
			    "has no effect\n");
	assert_proxy(route("u.test", "/x"), "default-a-80", "/x");
}

static void test_resource_backend(void **state)
{
	(void)state;
	services_abc();
	ingress("r", 1, NULL,
		HOST("r.test", PATH("/", "Prefix", SVC("a", 80)) ","
		     PATH("/icons", "Prefix",
			  "{'resource':{'apiGroup':'k8s.example.com','kind':'StorageBucket',"
			  "'name':'icon-assets'}}")));
	build();
	assert_int_equal(route("r.test", "/icons/a.png").status, 503);
	assert_proxy(route("r.test", "/"), "default-a-80", "/");
	assert_non_null(strstr(warnings, "default/r ResourceBackend: path /icons has a resource "
					 "backend StorageBucket/icon-assets"));
}

static void test_external_name(void **state)
{
	(void)state;
	json_object_set_new(services, "default/ext",
			    J("{'metadata':{'namespace':'default','name':'ext'},'spec':"
			      "{'type':'ExternalName','externalName':'example.org',"
			      "'ports':[{'port':80}]}}"));
	ingress("x", 1, NULL, HOST("x.test", PATH("/", "Prefix", SVC("ext", 80))));
	build();
	assert_int_equal(route("x.test", "/").status, 503);
	assert_non_null(strstr(warnings, "default/x ExternalNameService: Service default/ext"));
}

static void test_ports_by_name(void **state)
{
	struct got g;

	(void)state;
	service("named", 8000, "http", 8080, "10.244.2.1 10.244.2.2");
	ingress("n", 1, NULL,
		HOST("n.test", PATH("/", "Prefix",
				    "{'service':{'name':'named','port':{'name':'http'}}}") ","
		     PATH("/num", "Prefix", SVC("named", 8000)) ","
		     PATH("/wrong", "Prefix", SVC("named", 81))));
	build();
	g = route("n.test", "/");
	assert_proxy(g, "default-named-http", "/");
	/* ready addresses only, on the Endpoints' port of the same name */
	assert_int_equal(g.r->be->nep, 2);
	assert_int_equal(ntohs(g.r->be->ep[1].sin_port), 8080);
	assert_int_equal(g.r->be->ep[1].sin_addr.s_addr, inet_addr("10.244.2.2"));
	assert_proxy(route("n.test", "/num"), "default-named-8000", "/num");
	/* a port the Service does not have */
	assert_int_equal(route("n.test", "/wrong").status, 503);
}

static void test_classes(void **state)
{
	(void)state;
	services_abc();
	json_object_set_new(classes, "other",
			    J("{'metadata':{'name':'other'},'spec':{'controller':'example.com/lb'}}"));
	ingress("foreign", 1, NULL,
		"{'ingressClassName':'other','rules':[{'host':'f.test','http':{'paths':["
		PATH("/", "Prefix", SVC("a", 80)) "]}}]}");
	ingress("k1s", 2, NULL,
		"{'ingressClassName':'k1s','rules':[{'host':'k.test','http':{'paths':["
		PATH("/", "Prefix", SVC("a", 80)) "]}}]}");
	ingress("legacy", 3, "{'kubernetes.io/ingress.class':'nginx'}",
		"{'rules':[{'host':'l.test','http':{'paths':[" PATH("/", "Prefix", SVC("a", 80))
		"]}}]}");
	ingress("legacy-other", 4, "{'kubernetes.io/ingress.class':'traefik'}",
		"{'rules':[{'host':'t.test','http':{'paths':[" PATH("/", "Prefix", SVC("a", 80))
		"]}}]}");
	ingress("none", 5, NULL,
		"{'rules':[{'host':'n.test','http':{'paths':[" PATH("/", "Prefix", SVC("a", 80))
		"]}}]}");
	build();
	assert_int_equal(route("f.test", "/").status, 404);
	assert_int_equal(route("k.test", "/").status, 0);
	assert_int_equal(route("l.test", "/").status, 0);
	assert_int_equal(route("t.test", "/").status, 404);
	/* no class: the default class, nginx, is ours */
	assert_int_equal(route("n.test", "/").status, 0);

	/* the default class is another controller's: not ours */
	json_object_set_new(classes, "nginx",
			    J("{'metadata':{'name':'nginx'},'spec':{'controller':'k8s.io/ingress-nginx'}}"));
	json_object_set_new(classes, "other",
			    J("{'metadata':{'name':'other','annotations':"
			      "{'ingressclass.kubernetes.io/is-default-class':'true'}},"
			      "'spec':{'controller':'example.com/lb'}}"));
	build();
	assert_int_equal(route("n.test", "/").status, 404);
	/* no default class at all: ours */
	json_object_del(classes, "other");
	build();
	assert_int_equal(route("n.test", "/").status, 0);
	/* a class object named k1s of another controller is not ours */
	json_object_set_new(classes, "k1s",
			    J("{'metadata':{'name':'k1s'},'spec':{'controller':'example.com/lb'}}"));
	build();
	assert_int_equal(route("k.test", "/").status, 404);
}

static void test_bad_paths(void **state)
{
	(void)state;
	tutorial();
	assert_int_equal(route("myapp.com", "/../etc").status, 400);
	assert_int_equal(route("myapp.com", "/a/%00").status, 400);
	assert_int_equal(route("myapp.com", "/a%zz").status, 400);
	assert_int_equal(route("myapp.com", "/a%2").status, 400);
	assert_int_equal(route("myapp.com", "/x/..%2F..%2Fy").status, 400);
	assert_int_equal(route("myapp.com", "/a/%2e%2e/%2e%2e").status, 400);
	assert_int_equal(route("myapp.com", "a").status, 400);
	assert_int_equal(route("myapp.com", "").status, 400);
	/* matched as nginx's $uri: decoded, merged, dot segments resolved */
	assert_proxy(route("myapp.com", "/x/../api/x"), "default-api-service-80", "/");
	assert_proxy(route("myapp.com", "//api"), "default-api-service-80", "/");
	assert_proxy(route("myapp.com", "/%61pi"), "default-api-service-80", "/");
	assert_proxy(route("myapp.com", "/./x/."), "default-frontend-service-80", "/./x/.");
}

static void test_small_buffer(void **state)
{
	struct ing_route r;
	char buf[4];

	(void)state;
	tutorial();
	ing_table_route(table, (struct ing_str){"myapp.com", 9},
			(struct ing_str){"/index.html", 11}, (struct ing_str){"", 0}, 0, false, &r,
			buf, sizeof(buf));
	assert_int_equal(r.status, 414);

	/* no host and no query at all: the catch-all, 404 */
	ing_table_route(table, (struct ing_str){NULL, 0}, (struct ing_str){"/x", 2},
			(struct ing_str){NULL, 0}, 0, false, &r, buf, sizeof(buf));
	assert_int_equal(r.status, 404);
}

static void test_null_strings(void **state)
{
	struct ing_route r;
	char buf[128];

	(void)state;
	services_abc();
	ingress("n", 1, "{'nginx.ingress.kubernetes.io/permanent-redirect':'https://n.test/?$args$host'}",
		"{'ingressClassName':'nginx','rules':[{'http':{'paths':["
		PATH("/", "Prefix", SVC("a", 80)) "]}}]}");
	build();
	ing_table_route(table, (struct ing_str){NULL, 0}, (struct ing_str){"/x", 2},
			(struct ing_str){NULL, 0}, 0, false, &r, buf, sizeof(buf));
	assert_int_equal(r.status, 301);
	assert_int_equal(r.target.n, strlen("https://n.test/?"));
	assert_memory_equal(r.target.p, "https://n.test/?", r.target.n);
}

static void test_many_rules(void **state)
{
	char spec[200], name[32];

	(void)state;
	services_abc();
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "i%d", i);
		snprintf(spec, sizeof(spec),
			 "{'ingressClassName':'nginx','rules':[{'host':'h%d.test','http':{'paths':["
			 "{'path':'/p%d','pathType':'Prefix','backend':" SVC("a", 80) "}]}}]}",
			 i, i);
		ingress(name, i % 60, NULL, spec);
	}
	build();
	assert_int_equal(ing_table_rules(table), 2000);
	assert_proxy(route("h1234.test", "/p1234/x"), "default-a-80", "/p1234/x");
	assert_int_equal(route("h1234.test", "/p1235").status, 404);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_tutorial),
		T(test_prefix_elements),
		T(test_exact_before_prefix),
		T(test_longest_across_ingresses),
		T(test_oldest_wins),
		T(test_hosts),
		T(test_default_backend),
		T(test_implementation_specific),
		T(test_auto_redirect),
		T(test_regex_capture),
		T(test_regex_order),
		T(test_regex_backtracking),
		T(test_rewrite_query),
		T(test_app_root),
		T(test_ssl_redirect),
		T(test_redirects),
		T(test_backend_protocol),
		T(test_proxy_settings),
		T(test_whitelist),
		T(test_unsupported),
		T(test_resource_backend),
		T(test_external_name),
		T(test_ports_by_name),
		T(test_classes),
		T(test_bad_paths),
		T(test_small_buffer),
		T(test_null_strings),
		T(test_many_rules),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
