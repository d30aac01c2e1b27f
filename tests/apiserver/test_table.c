/* The Tables `kubectl get` prints: every cell, column and envelope member
 * as kube-apiserver sends them, for realistic objects as they are stored
 * after defaulting. JSON below is written with single quotes for
 * readability; J() turns them into double quotes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "api_int.h"
#include "k1s_json.h"
#include "k1s_types.h"

#define NOW ((time_t)1735732800) /* 2025-01-01T12:00:00Z */
#define MIN 60L
#define HOUR (60L * MIN)
#define DAY (24L * HOUR)

/* RFC 3339 for NOW - secs, from a small ring of buffers. */
static const char *ago(long secs)
{
	static char bufs[32][32];
	static unsigned n;
	char *b = bufs[n++ % 32];

	k1s_time_fmt(b, 32, NOW - secs);
	return b;
}

static json_t *J(const char *fmt, ...)
{
	static char buf[16384];
	json_error_t err;
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (char *p = buf; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(buf, 0, &err);
	if (!j)
		fail_msg("bad test JSON (%s): %s", err.text, buf);
	return j;
}

static void assert_json_eq(const json_t *got, json_t *want)
{
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
		char *w = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);

		print_error("got  %s\nwant %s\n", g ? g : "(null)", w);
		free(g);
		free(w);
		json_decref(want);
		fail();
	}
	json_decref(want);
}

/* A Table of `objs` (stolen) for group/resource. */
static json_t *table(const char *group, const char *res, json_t *objs)
{
	const struct k1s_resource *r = k1s_resource_find(group, res);
	json_t *t;

	assert_non_null(r);
	t = api_table(r, objs, true, API_INCLUDE_METADATA, NOW);
	json_decref(objs);
	assert_non_null(t);
	return t;
}

static const json_t *cells(const json_t *t, size_t i)
{
	const json_t *row = json_array_get(json_object_get(t, "rows"), i);

	assert_non_null(row);
	return json_object_get(row, "cells");
}

/* "Name:type:format:priority" per column, joined with "|"; every column
 * must carry a description. */
static void assert_columns(const json_t *t, const char *want)
{
	char got[2048] = "";
	size_t i, len = 0;
	json_t *c;

	json_array_foreach(json_object_get(t, "columnDefinitions"), i, c)
	{
		assert_true(json_string_length(json_object_get(c, "description")) > 0);
		assert_true(json_is_integer(json_object_get(c, "priority")));
		len += (size_t)snprintf(
		    got + len, sizeof(got) - len, "%s%s:%s:%s:%lld", i ? "|" : "",
		    k1s_json_str(c, "name"), k1s_json_str(c, "type"), k1s_json_str(c, "format"),
		    (long long)json_integer_value(json_object_get(c, "priority")));
	}
	assert_string_equal(got, want);
}

/* ---- Age ---- */

static const char *age(long secs)
{
	static char buf[32];

	api_age(buf, sizeof(buf), NOW - secs, NOW);
	return buf;
}

static void age_boundaries(void **state)
{
	assert_string_equal(age(0), "0s");
	assert_string_equal(age(-1), "0s");
	assert_string_equal(age(-2), "<invalid>");
	assert_string_equal(age(-3600), "<invalid>");
	assert_string_equal(age(59), "59s");
	assert_string_equal(age(119), "119s");
	assert_string_equal(age(120), "2m");
	assert_string_equal(age(121), "2m1s");
	assert_string_equal(age(9 * MIN + 59), "9m59s");
	assert_string_equal(age(10 * MIN), "10m");
	assert_string_equal(age(10 * MIN + 59), "10m");
	assert_string_equal(age(3 * HOUR - 1), "179m");
	assert_string_equal(age(3 * HOUR), "3h");
	assert_string_equal(age(3 * HOUR + 5 * MIN + 30), "3h5m");
	assert_string_equal(age(7 * HOUR + 59 * MIN), "7h59m");
	assert_string_equal(age(8 * HOUR + 30 * MIN), "8h");
	assert_string_equal(age(47 * HOUR + 59 * MIN), "47h");
	assert_string_equal(age(48 * HOUR), "2d");
	assert_string_equal(age(2 * DAY + 3 * HOUR + 59 * MIN), "2d3h");
	assert_string_equal(age(7 * DAY + 23 * HOUR), "7d23h");
	assert_string_equal(age(8 * DAY + 5 * HOUR), "8d");
	assert_string_equal(age(400 * DAY), "400d");
	assert_string_equal(age(729 * DAY), "729d");
	assert_string_equal(age(730 * DAY), "2y");
	assert_string_equal(age(740 * DAY), "2y10d");
	assert_string_equal(age(8 * 365 * DAY), "8y");
}

/* ---- envelope and includeObject ---- */

static json_t *one_ns(void)
{
	return J("[{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'default',"
	         "'uid':'u1','resourceVersion':'7','labels':{'kubernetes.io/metadata.name':"
	         "'default'},'creationTimestamp':'%s'},'spec':{'finalizers':['kubernetes']},"
	         "'status':{'phase':'Active'}}]",
	         ago(3 * DAY));
}

static void envelope_and_include_modes(void **state)
{
	const struct k1s_resource *r = k1s_resource_find("", "namespaces");
	json_t *objs = one_ns(), *t, *row;

	t = api_table(r, objs, true, API_INCLUDE_METADATA, NOW);
	assert_string_equal(k1s_json_str(t, "kind"), "Table");
	assert_string_equal(k1s_json_str(t, "apiVersion"), "meta.k8s.io/v1");
	assert_json_eq(json_object_get(t, "metadata"), J("{}"));
	assert_true(json_is_array(json_object_get(t, "columnDefinitions")));
	row = json_array_get(json_object_get(t, "rows"), 0);
	assert_json_eq(json_object_get(row, "object"),
	               J("{'kind':'PartialObjectMetadata','apiVersion':'meta.k8s.io/v1',"
	                 "'metadata':{'name':'default','uid':'u1','resourceVersion':'7',"
	                 "'labels':{'kubernetes.io/metadata.name':'default'},"
	                 "'creationTimestamp':'%s'}}",
	                 ago(3 * DAY)));
	json_decref(t);

	t = api_table(r, objs, false, API_INCLUDE_OBJECT, NOW);
	assert_null(json_object_get(t, "columnDefinitions"));
	row = json_array_get(json_object_get(t, "rows"), 0);
	assert_true(json_equal(json_object_get(row, "object"), json_array_get(objs, 0)));
	json_decref(t);

	t = api_table(r, objs, true, API_INCLUDE_NONE, NOW);
	row = json_array_get(json_object_get(t, "rows"), 0);
	assert_null(json_object_get(row, "object"));
	assert_json_eq(json_object_get(row, "cells"), J("['default','Active','3d']"));
	json_decref(t);

	/* No objects: an empty rows array, which kubectl reports as "No
	 * resources found". */
	json_decref(objs);
	objs = json_array();
	t = api_table(r, objs, true, API_INCLUDE_METADATA, NOW);
	assert_json_eq(json_object_get(t, "rows"), J("[]"));
	json_decref(t);
	json_decref(objs);
}

static void unknown_resource_gets_name_and_age(void **state)
{
	json_t *objs = J("[{'metadata':{'name':'x','creationTimestamp':'%s'}},"
	                 "{'metadata':{'name':'y'}}]",
	                 ago(90));
	json_t *t = api_table(NULL, objs, true, API_INCLUDE_METADATA, NOW);

	assert_columns(t, "Name:string:name:0|Age:string::0");
	assert_json_eq(cells(t, 0), J("['x','90s']"));
	assert_json_eq(cells(t, 1), J("['y','<unknown>']"));
	json_decref(t);
	json_decref(objs);
}

/* ---- Service ---- */

static void services(void **state)
{
	json_t *t =
	    table("", "services",
	          J("["
	            "{'metadata':{'name':'api-service','namespace':'default','creationTimestamp':"
	            "'%s'},'spec':{'type':'ClusterIP','selector':{'app':'api'},'clusterIP':"
	            "'10.96.0.10','clusterIPs':['10.96.0.10'],'ports':[{'port':80,'targetPort':"
	            "3000,'protocol':'TCP'}],'sessionAffinity':'None','ipFamilies':['IPv4']}},"
	            "{'metadata':{'name':'web-service','creationTimestamp':'%s'},'spec':{'type':"
	            "'NodePort','selector':{'app':'web','tier':'fe'},'clusterIP':'10.96.23.7',"
	            "'clusterIPs':['10.96.23.7'],'ports':[{'port':80,'targetPort':3000,"
	            "'protocol':'TCP','nodePort':30080},{'name':'dns','port':53,'protocol':'UDP',"
	            "'nodePort':30053}]}},"
	            "{'metadata':{'name':'lb-pending','creationTimestamp':'%s'},'spec':{'type':"
	            "'LoadBalancer','selector':{'app':'web'},'clusterIP':'10.96.100.1',"
	            "'clusterIPs':['10.96.100.1'],'ports':[{'port':80,'protocol':'TCP',"
	            "'nodePort':31234}]},'status':{'loadBalancer':{}}},"
	            "{'metadata':{'name':'lb-ready','creationTimestamp':'%s'},'spec':{'type':"
	            "'LoadBalancer','clusterIP':'10.96.100.2','clusterIPs':['10.96.100.2'],"
	            "'externalIPs':['203.0.113.9'],'ports':[{'port':443,'protocol':'TCP',"
	            "'nodePort':31443}]},'status':{'loadBalancer':{'ingress':[{'ip':"
	            "'192.168.1.241'},{'hostname':'lb.example.com'},{'ip':'192.168.1.240'},"
	            "{'ip':'192.168.1.241'}]}}},"
	            "{'metadata':{'name':'ext','creationTimestamp':'%s'},'spec':{'type':"
	            "'ExternalName','externalName':'db.example.com'}},"
	            "{'metadata':{'name':'headless','creationTimestamp':'%s'},'spec':{'type':"
	            "'ClusterIP','clusterIP':'None','clusterIPs':['None'],'selector':{'app':"
	            "'db'},'externalIPs':['198.51.100.1','198.51.100.2'],'ports':[{'port':5432,"
	            "'protocol':'TCP'}]}}"
	            "]",
	            ago(5 * MIN), ago(2 * HOUR), ago(30), ago(9 * DAY), ago(3 * HOUR + 20 * MIN),
	            ago(0)));

	assert_columns(t, "Name:string:name:0|Type:string::0|Cluster-IP:string::0|"
	                  "External-IP:string::0|Port(s):string::0|Age:string::0|"
	                  "Selector:string::1");
	assert_json_eq(cells(t, 0), J("['api-service','ClusterIP','10.96.0.10','<none>',"
	                              "'80/TCP','5m','app=api']"));
	assert_json_eq(cells(t, 1), J("['web-service','NodePort','10.96.23.7','<none>',"
	                              "'80:30080/TCP,53:30053/UDP','120m','app=web,tier=fe']"));
	assert_json_eq(cells(t, 2), J("['lb-pending','LoadBalancer','10.96.100.1','<pending>',"
	                              "'80:31234/TCP','30s','app=web']"));
	assert_json_eq(cells(t, 3), J("['lb-ready','LoadBalancer','10.96.100.2',"
	                              "'192.168.1.240,192.168.1.241,lb.example.com,203.0.113.9',"
	                              "'443:31443/TCP','9d','<none>']"));
	assert_json_eq(cells(t, 4), J("['ext','ExternalName','<none>','db.example.com','<none>',"
	                              "'3h20m','<none>']"));
	assert_json_eq(cells(t, 5), J("['headless','ClusterIP','None',"
	                              "'198.51.100.1,198.51.100.2','5432/TCP','0s','app=db']"));
	json_decref(t);
}

/* ---- Pod ---- */

static void pods(void **state)
{
	json_t *t =
	    table("", "pods",
	          J("["
	            /* 0: running and ready */
	            "{'metadata':{'name':'web-7d4b9c8f5-abcde','creationTimestamp':'%s'},"
	            "'spec':{'nodeName':'k1s','containers':[{'name':'web','image':'nginx'}]},"
	            "'status':{'phase':'Running','podIP':'10.244.0.11','podIPs':[{'ip':"
	            "'10.244.0.11'}],'conditions':[{'type':'Ready','status':'True'}],"
	            "'containerStatuses':[{'name':'web','ready':true,'restartCount':0,'state':"
	            "{'running':{'startedAt':'%s'}}}]}},"
	            /* 1: image still being set up */
	            "{'metadata':{'name':'api-0','creationTimestamp':'%s'},'spec':{'nodeName':"
	            "'k1s','containers':[{'name':'api','image':'api:1'},{'name':'log','image':"
	            "'busybox'}]},'status':{'phase':'Pending','containerStatuses':["
	            "{'name':'api','ready':false,'restartCount':0,'state':{'waiting':{'reason':"
	            "'ContainerCreating'}}},{'name':'log','ready':false,'restartCount':0,"
	            "'state':{'waiting':{'reason':'ContainerCreating'}}}]}},"
	            /* 2: crash looping, last exit five minutes ago */
	            "{'metadata':{'name':'crashy','creationTimestamp':'%s'},'spec':{'nodeName':"
	            "'k1s','containers':[{'name':'app','image':'app'}]},'status':{'phase':"
	            "'Running','podIPs':[{'ip':'10.244.0.12'}],'containerStatuses':[{'name':"
	            "'app','ready':false,'restartCount':5,'state':{'waiting':{'reason':"
	            "'CrashLoopBackOff','message':'back-off'}},'lastState':{'terminated':"
	            "{'exitCode':1,'reason':'Error','finishedAt':'%s'}}}]}},"
	            /* 3: a finished job pod */
	            "{'metadata':{'name':'job-xyz','creationTimestamp':'%s'},'spec':{'nodeName':"
	            "'k1s','containers':[{'name':'job','image':'busybox'}]},'status':{'phase':"
	            "'Succeeded','podIPs':[{'ip':'10.244.0.13'}],'containerStatuses':[{'name':"
	            "'job','ready':false,'restartCount':0,'state':{'terminated':{'exitCode':0,"
	            "'reason':'Completed'}}}]}},"
	            /* 4: being deleted */
	            "{'metadata':{'name':'old','creationTimestamp':'%s','deletionTimestamp':'%s'},"
	            "'spec':{'nodeName':'k1s','containers':[{'name':'web','image':'nginx'}]},"
	            "'status':{'phase':'Running','podIPs':[{'ip':'fd00::14'}],"
	            "'containerStatuses':[{'name':'web','ready':true,'restartCount':1,'state':"
	            "{'running':{}},'lastState':{'terminated':{'exitCode':137,'finishedAt':"
	            "'%s'}}}]}},"
	            /* 5: unscheduled */
	            "{'metadata':{'name':'pending','creationTimestamp':'%s'},'spec':{"
	            "'containers':[{'name':'a','image':'a'}]},'status':{'phase':'Pending',"
	            "'conditions':[{'type':'PodScheduled','status':'False','reason':"
	            "'Unschedulable'}]}}"
	            "]",
	            ago(10 * MIN), ago(9 * MIN), ago(45), ago(2 * HOUR), ago(5 * MIN), ago(3 * DAY),
	            ago(1 * HOUR), ago(5), ago(4 * MIN), ago(20)));

	assert_columns(t, "Name:string:name:0|Ready:string::0|Status:string::0|"
	                  "Restarts:string::0|Age:string::0|IP:string::1|Node:string::1|"
	                  "Nominated Node:string::1|Readiness Gates:string::1");
	assert_json_eq(cells(t, 0), J("['web-7d4b9c8f5-abcde','1/1','Running','0','10m',"
	                              "'10.244.0.11','k1s','<none>','<none>']"));
	assert_json_eq(cells(t, 1), J("['api-0','0/2','ContainerCreating','0','45s','<none>',"
	                              "'k1s','<none>','<none>']"));
	assert_json_eq(cells(t, 2), J("['crashy','0/1','CrashLoopBackOff','5 (5m ago)','120m',"
	                              "'10.244.0.12','k1s','<none>','<none>']"));
	assert_json_eq(cells(t, 3), J("['job-xyz','0/1','Completed','0','3d','10.244.0.13',"
	                              "'k1s','<none>','<none>']"));
	assert_json_eq(json_object_get(json_array_get(json_object_get(t, "rows"), 3), "conditions"),
	               J("[{'type':'Completed','status':'True','reason':'Succeeded',"
	                 "'message':'The pod has completed successfully.'}]"));
	assert_null(json_object_get(json_array_get(json_object_get(t, "rows"), 0), "conditions"));
	assert_json_eq(cells(t, 4), J("['old','1/1','Terminating','1 (4m ago)','60m',"
	                              "'fd00::14','k1s','<none>','<none>']"));
	assert_json_eq(cells(t, 5), J("['pending','0/1','Pending','0','20s','<none>',"
	                              "'<none>','<none>','<none>']"));
	json_decref(t);
}

static void pod_status_edge_cases(void **state)
{
	json_t *t =
	    table("", "pods",
	          J("["
	            /* 0: init container not yet done */
	            "{'metadata':{'name':'init-wait','creationTimestamp':'%s'},'spec':{"
	            "'initContainers':[{'name':'setup','image':'b'},{'name':'migrate',"
	            "'image':'m'}],'containers':[{'name':'app','image':'a'}]},'status':{"
	            "'phase':'Pending','initContainerStatuses':[{'name':'setup','ready':false,"
	            "'restartCount':0,'state':{'terminated':{'exitCode':0,'reason':'Completed'}}},"
	            "{'name':'migrate','ready':false,'restartCount':2,'state':{'running':{}}}],"
	            "'containerStatuses':[{'name':'app','ready':false,'restartCount':0,'state':"
	            "{'waiting':{'reason':'PodInitializing'}}}]}},"
	            /* 1: init container crash looping */
	            "{'metadata':{'name':'init-crash','creationTimestamp':'%s'},'spec':{"
	            "'initContainers':[{'name':'setup','image':'b'}],'containers':[{'name':'app',"
	            "'image':'a'}]},'status':{'phase':'Pending','initContainerStatuses':[{'name':"
	            "'setup','ready':false,'restartCount':3,'state':{'waiting':{'reason':"
	            "'CrashLoopBackOff'}},'lastState':{'terminated':{'exitCode':1,'finishedAt':"
	            "'%s'}}}]}},"
	            /* 2: init container killed by a signal */
	            "{'metadata':{'name':'init-sig','creationTimestamp':'%s'},'spec':{"
	            "'initContainers':[{'name':'setup','image':'b'}],'containers':[{'name':'app',"
	            "'image':'a'}]},'status':{'phase':'Pending','initContainerStatuses':[{'name':"
	            "'setup','restartCount':0,'state':{'terminated':{'exitCode':137,'signal':"
	            "9}}}]}},"
	            /* 3: a ready sidecar beside the main container */
	            "{'metadata':{'name':'sidecar','creationTimestamp':'%s'},'spec':{"
	            "'initContainers':[{'name':'proxy','image':'envoy','restartPolicy':"
	            "'Always'}],'containers':[{'name':'app','image':'a'}],'readinessGates':"
	            "[{'conditionType':'example.com/lb'},{'conditionType':'example.com/dns'}]},"
	            "'status':{'phase':'Running','conditions':[{'type':'Initialized','status':"
	            "'True'},{'type':'Ready','status':'True'},{'type':'example.com/lb','status':"
	            "'True'},{'type':'example.com/dns','status':'False'}],"
	            "'nominatedNodeName':'k1s-2','initContainerStatuses':[{'name':'proxy','ready':"
	            "true,'started':true,'restartCount':1,'state':{'running':{}},'lastState':"
	            "{'terminated':{'exitCode':1,'finishedAt':'%s'}}}],'containerStatuses':"
	            "[{'name':'app','ready':true,'restartCount':0,'state':{'running':{}}}]}},"
	            /* 4: one container done, one still running */
	            "{'metadata':{'name':'half','creationTimestamp':'%s'},'spec':{'containers':"
	            "[{'name':'a','image':'a'},{'name':'b','image':'b'}]},'status':{'phase':"
	            "'Running','conditions':[{'type':'Ready','status':'False'}],"
	            "'containerStatuses':[{'name':'a','ready':true,'restartCount':0,'state':"
	            "{'running':{}}},{'name':'b','ready':false,'restartCount':0,'state':"
	            "{'terminated':{'exitCode':0,'reason':'Completed'}}}]}},"
	            /* 5: evicted, and a failed pod under deletion keeps its status */
	            "{'metadata':{'name':'evicted','creationTimestamp':'%s','deletionTimestamp':"
	            "'%s'},'spec':{'containers':[{'name':'a','image':'a'}]},'status':{'phase':"
	            "'Failed','reason':'Evicted'}},"
	            /* 6: container exited without a reason */
	            "{'metadata':{'name':'exit3','creationTimestamp':'%s'},'spec':{'containers':"
	            "[{'name':'a','image':'a'}]},'status':{'phase':'Running','containerStatuses':"
	            "[{'name':'a','restartCount':0,'state':{'terminated':{'exitCode':3}}}]}},"
	            /* 7: gated */
	            "{'metadata':{'name':'gated','creationTimestamp':'%s'},'spec':{'containers':"
	            "[{'name':'a','image':'a'}]},'status':{'phase':'Pending','conditions':"
	            "[{'type':'PodScheduled','status':'False','reason':'SchedulingGated'}]}}"
	            "]",
	            ago(30), ago(2 * MIN), ago(20), ago(5 * MIN), ago(1 * DAY), ago(3 * HOUR),
	            ago(2 * HOUR), ago(6 * MIN), ago(6 * MIN), ago(10), ago(11 * MIN)));

	assert_json_eq(cells(t, 0), J("['init-wait','0/1','Init:1/2','2','30s','<none>',"
	                              "'<none>','<none>','<none>']"));
	assert_json_eq(cells(t, 1), J("['init-crash','0/1','Init:CrashLoopBackOff',"
	                              "'3 (20s ago)','2m','<none>','<none>','<none>','<none>']"));
	assert_json_eq(cells(t, 2), J("['init-sig','0/1','Init:Signal:9','0','5m','<none>',"
	                              "'<none>','<none>','<none>']"));
	assert_json_eq(cells(t, 3), J("['sidecar','2/2','Running','1 (3h ago)','24h','<none>',"
	                              "'<none>','k1s-2','1/2']"));
	assert_json_eq(cells(t, 4), J("['half','1/2','NotReady','0','120m','<none>','<none>',"
	                              "'<none>','<none>']"));
	assert_json_eq(cells(t, 5), J("['evicted','0/1','Evicted','0','6m','<none>','<none>',"
	                              "'<none>','<none>']"));
	assert_json_eq(json_object_get(json_array_get(json_object_get(t, "rows"), 5), "conditions"),
	               J("[{'type':'Completed','status':'True','reason':'Failed',"
	                 "'message':'The pod failed.'}]"));
	assert_json_eq(cells(t, 6), J("['exit3','0/1','ExitCode:3','0','10s','<none>',"
	                              "'<none>','<none>','<none>']"));
	assert_json_eq(cells(t, 7), J("['gated','0/1','SchedulingGated','0','11m','<none>',"
	                              "'<none>','<none>','<none>']"));
	json_decref(t);
}

/* ---- Endpoints, EndpointSlice ---- */

static void endpoints(void **state)
{
	json_t *t = table(
	    "", "endpoints",
	    J("["
	      "{'metadata':{'name':'web-service','creationTimestamp':'%s'},'subsets':[{"
	      "'addresses':[{'ip':'10.244.0.11'},{'ip':'10.244.0.12'},{'ip':'10.244.0.13'},"
	      "{'ip':'10.244.0.14'}],'notReadyAddresses':[{'ip':'10.244.0.99'}],'ports':"
	      "[{'port':3000,'protocol':'TCP'}]},{'addresses':[{'ip':'10.244.1.5'}],"
	      "'ports':[{'port':3000,'protocol':'TCP'}]}]},"
	      "{'metadata':{'name':'api-service','creationTimestamp':'%s'},'subsets':[{"
	      "'addresses':[{'ip':'10.244.0.21'}],'ports':[{'port':3000,'protocol':'TCP'}]}]},"
	      "{'metadata':{'name':'empty','creationTimestamp':'%s'}},"
	      "{'metadata':{'name':'unready','creationTimestamp':'%s'},'subsets':[{"
	      "'notReadyAddresses':[{'ip':'10.244.0.30'}],'ports':[{'port':80}]}]},"
	      "{'metadata':{'name':'headless','creationTimestamp':'%s'},'subsets':[{"
	      "'addresses':[{'ip':'10.244.0.40'},{'ip':'fd00::40'}]}]},"
	      "{'metadata':{'name':'v6','creationTimestamp':'%s'},'subsets':[{'addresses':"
	      "[{'ip':'fd00::5'}],'ports':[{'name':'http','port':80},{'name':'https',"
	      "'port':443}]}]}"
	      "]",
	      ago(5 * MIN), ago(5 * MIN), ago(1), ago(1), ago(1), ago(1)));

	assert_columns(t, "Name:string:name:0|Endpoints:string::0|Age:string::0");
	assert_json_eq(cells(t, 0), J("['web-service','10.244.0.11:3000,10.244.0.12:3000,"
	                              "10.244.0.13:3000 + 2 more...','5m']"));
	assert_json_eq(cells(t, 1), J("['api-service','10.244.0.21:3000','5m']"));
	assert_json_eq(cells(t, 2), J("['empty','<none>','1s']"));
	assert_json_eq(cells(t, 3), J("['unready','','1s']"));
	assert_json_eq(cells(t, 4), J("['headless','10.244.0.40,fd00::40','1s']"));
	assert_json_eq(cells(t, 5), J("['v6','[fd00::5]:80,[fd00::5]:443','1s']"));
	json_decref(t);
}

static void endpointslices(void **state)
{
	json_t *t =
	    table("discovery.k8s.io", "endpointslices",
	          J("["
	            "{'metadata':{'name':'web-service-x7k2p','creationTimestamp':'%s'},"
	            "'addressType':'IPv4','ports':[{'name':'','port':3000,'protocol':'TCP'}],"
	            "'endpoints':[{'addresses':['10.244.0.11'],'conditions':{'ready':true}},"
	            "{'addresses':['10.244.0.12']},{'addresses':['10.244.0.13']},"
	            "{'addresses':['10.244.0.14']}]},"
	            "{'metadata':{'name':'empty-abcde','creationTimestamp':'%s'},'addressType':"
	            "'IPv4','ports':null,'endpoints':[]},"
	            "{'metadata':{'name':'many','creationTimestamp':'%s'},'addressType':'IPv6',"
	            "'ports':[{'port':80},{'port':443},{'name':'metrics'},{}],'endpoints':"
	            "[{'addresses':['fd00::1','fd00::2']}]},"
	            "{'metadata':{'name':'anyport','creationTimestamp':'%s'},'addressType':"
	            "'FQDN','ports':[{'name':'dns'},{}],'endpoints':[{'addresses':"
	            "['db.example.com']}]}"
	            "]",
	            ago(7 * MIN), ago(7 * MIN), ago(7 * MIN), ago(7 * MIN)));

	assert_columns(t, "Name:string:name:0|AddressType:string::0|Ports:string::0|"
	                  "Endpoints:string::0|Age:string::0");
	assert_json_eq(cells(t, 0), J("['web-service-x7k2p','IPv4','3000',"
	                              "'10.244.0.11,10.244.0.12,10.244.0.13 + 1 more...','7m']"));
	assert_json_eq(cells(t, 1), J("['empty-abcde','IPv4','<unset>','<unset>','7m']"));
	assert_json_eq(cells(t, 2), J("['many','IPv6','80,443,metrics + 1 more...',"
	                              "'fd00::1,fd00::2','7m']"));
	assert_json_eq(cells(t, 3), J("['anyport','FQDN','dns,*','db.example.com','7m']"));
	json_decref(t);
}

/* ---- Namespace, Node ---- */

static void namespaces(void **state)
{
	json_t *t = table("", "namespaces",
	                  J("[{'metadata':{'name':'default','creationTimestamp':'%s'},"
	                    "'status':{'phase':'Active'}},{'metadata':{'name':'gone',"
	                    "'creationTimestamp':'%s','deletionTimestamp':'%s'},'status':"
	                    "{'phase':'Terminating'}},{'metadata':{'name':'new'}}]",
	                    ago(400 * DAY), ago(2 * DAY), ago(1)));

	assert_columns(t, "Name:string:name:0|Status:string::0|Age:string::0");
	assert_json_eq(cells(t, 0), J("['default','Active','400d']"));
	assert_json_eq(cells(t, 1), J("['gone','Terminating','2d']"));
	assert_json_eq(cells(t, 2), J("['new','','<unknown>']"));
	json_decref(t);
}

static void nodes(void **state)
{
	json_t *t =
	    table("", "nodes",
	          J("["
	            "{'metadata':{'name':'k1s','creationTimestamp':'%s','labels':{"
	            "'kubernetes.io/hostname':'k1s','node-role.kubernetes.io/control-plane':'',"
	            "'node-role.kubernetes.io/':'','kubernetes.io/role':'master'}},'spec':{},"
	            "'status':{'conditions':[{'type':'MemoryPressure','status':'False'},"
	            "{'type':'Ready','status':'True','reason':'KubeletReady'}],'addresses':"
	            "[{'type':'Hostname','address':'k1s'},{'type':'InternalIP','address':"
	            "'192.168.1.10'}],'nodeInfo':{'kubeletVersion':'v1.32.4','osImage':"
	            "'Debian GNU/Linux 12 (bookworm)','kernelVersion':'6.1.0-18-amd64',"
	            "'containerRuntimeVersion':'k1s://0.1.0'}}},"
	            "{'metadata':{'name':'worker','creationTimestamp':'%s','labels':{"
	            "'kubernetes.io/role':'worker'}},'spec':{'unschedulable':true},'status':{"
	            "'conditions':[{'type':'Ready','status':'Unknown'}],'addresses':[{'type':"
	            "'ExternalIP','address':'203.0.113.7'}]}},"
	            "{'metadata':{'name':'bare','creationTimestamp':'%s'}}"
	            "]",
	            ago(2 * DAY + 3 * HOUR), ago(47 * HOUR), ago(9 * MIN + 59)));

	assert_columns(t, "Name:string:name:0|Status:string::0|Roles:string::0|Age:string::0|"
	                  "Version:string::0|Internal-IP:string::1|External-IP:string::1|"
	                  "OS-Image:string::1|Kernel-Version:string::1|"
	                  "Container-Runtime:string::1");
	assert_json_eq(cells(t, 0), J("['k1s','Ready','control-plane,master','2d3h','v1.32.4',"
	                              "'192.168.1.10','<none>','Debian GNU/Linux 12 (bookworm)',"
	                              "'6.1.0-18-amd64','k1s://0.1.0']"));
	assert_json_eq(cells(t, 1), J("['worker','NotReady,SchedulingDisabled','worker','47h',"
	                              "'','<none>','203.0.113.7','<unknown>','<unknown>',"
	                              "'<unknown>']"));
	assert_json_eq(cells(t, 2), J("['bare','Unknown','<none>','9m59s','','<none>','<none>',"
	                              "'<unknown>','<unknown>','<unknown>']"));
	json_decref(t);
}

/* ---- Secret, ConfigMap ---- */

static void secrets_and_configmaps(void **state)
{
	json_t *t =
	    table("", "secrets",
	          J("[{'metadata':{'name':'db-secret','creationTimestamp':'%s'},'type':"
	            "'Opaque','data':{'user':'YWRtaW4=','password':'czNjcjN0'}},"
	            "{'metadata':{'name':'myapp-tls','creationTimestamp':'%s'},'type':"
	            "'kubernetes.io/tls','data':{'tls.crt':'','tls.key':'','ca.crt':''}},"
	            "{'metadata':{'name':'empty','creationTimestamp':'%s'},'type':'Opaque'}]",
	            ago(HOUR), ago(3 * HOUR + 1), ago(0)));

	assert_columns(t, "Name:string:name:0|Type:string::0|Data:string::0|Age:string::0");
	assert_json_eq(cells(t, 0), J("['db-secret','Opaque',2,'60m']"));
	assert_json_eq(cells(t, 1), J("['myapp-tls','kubernetes.io/tls',3,'3h']"));
	assert_json_eq(cells(t, 2), J("['empty','Opaque',0,'0s']"));
	json_decref(t);

	t = table("", "configmaps",
	          J("[{'metadata':{'name':'app-config','creationTimestamp':'%s'},'data':{"
	            "'LOG_LEVEL':'info','PORT':'3000'},'binaryData':{'logo.png':'iVBORw0K'}},"
	            "{'metadata':{'name':'kube-root-ca.crt','creationTimestamp':'%s'},'data':"
	            "{'ca.crt':'x'}}]",
	            ago(8 * DAY), ago(2 * HOUR + 59 * MIN)));
	assert_columns(t, "Name:string:name:0|Data:string::0|Age:string::0");
	assert_json_eq(cells(t, 0), J("['app-config',3,'8d']"));
	assert_json_eq(cells(t, 1), J("['kube-root-ca.crt',1,'179m']"));
	json_decref(t);
}

/* ---- Event ---- */

static void events(void **state)
{
	json_t *t = table(
	    "", "events",
	    J("["
	      /* 0: a kubelet event seen three times */
	      "{'metadata':{'name':'web-7d4b9c8f5-abcde.17f1a2b3c4d5e6f7','creationTimestamp':"
	      "'%s'},'involvedObject':{'kind':'Pod','namespace':'default','name':"
	      "'web-7d4b9c8f5-abcde','fieldPath':'spec.containers{web}'},'reason':'Pulled',"
	      "'message':'  Successfully pulled image nginx in 1.2s\\n','source':{"
	      "'component':'kubelet','host':'k1s'},'firstTimestamp':'%s','lastTimestamp':"
	      "'%s','count':3,'type':'Normal'},"
	      /* 1: an events.k8s.io style event: eventTime, no count */
	      "{'metadata':{'name':'web.1','creationTimestamp':'%s'},'involvedObject':{"
	      "'kind':'Pod','name':'web'},'reason':'Scheduled','message':'Successfully "
	      "assigned default/web to k1s','source':{},'firstTimestamp':null,"
	      "'lastTimestamp':null,'eventTime':'%s','reportingComponent':"
	      "'default-scheduler','reportingInstance':'default-scheduler-k1s','type':"
	      "'Normal'},"
	      /* 2: a series */
	      "{'metadata':{'name':'crashy.2','creationTimestamp':'%s'},'involvedObject':{"
	      "'kind':'Pod','name':'crashy'},'reason':'BackOff','message':'Back-off "
	      "restarting failed container','source':{'component':'kubelet'},"
	      "'eventTime':'%s','series':{'count':4,'lastObservedTime':'%s'},'type':"
	      "'Warning'},"
	      /* 3: an object without a name */
	      "{'metadata':{'name':'x.3','creationTimestamp':'%s'},'involvedObject':{"
	      "'kind':'Node'},'reason':'Starting','message':'','type':'Normal'}"
	      "]",
	      ago(10 * MIN), ago(10 * MIN), ago(2 * MIN), ago(30), ago(30), ago(HOUR), ago(HOUR),
	      ago(15), ago(5)));

	assert_columns(t, "Last Seen:string::0|Type:string::0|Reason:string::0|"
	                  "Object:string::0|Subobject:string::1|Source:string::1|"
	                  "Message:string::0|First Seen:string::1|Count:string::1|"
	                  "Name:string:name:1");
	assert_json_eq(cells(t, 0), J("['2m','Normal','Pulled','pod/web-7d4b9c8f5-abcde',"
	                              "'spec.containers{web}','kubelet, k1s',"
	                              "'Successfully pulled image nginx in 1.2s','10m',3,"
	                              "'web-7d4b9c8f5-abcde.17f1a2b3c4d5e6f7']"));
	assert_json_eq(cells(t, 1), J("['30s','Normal','Scheduled','pod/web','',"
	                              "'default-scheduler, default-scheduler-k1s',"
	                              "'Successfully assigned default/web to k1s','30s',1,"
	                              "'web.1']"));
	assert_json_eq(cells(t, 2), J("['15s','Warning','BackOff','pod/crashy','','kubelet',"
	                              "'Back-off restarting failed container','60m',4,"
	                              "'crashy.2']"));
	assert_json_eq(cells(t, 3), J("['<unknown>','Normal','Starting','node','','','',"
	                              "'<unknown>',1,'x.3']"));
	json_decref(t);
}

/* ---- Deployment, ReplicaSet ---- */

static void deployments(void **state)
{
	json_t *t =
	    table("apps", "deployments",
	          J("["
	            "{'metadata':{'name':'web','creationTimestamp':'%s','generation':2},'spec':{"
	            "'replicas':3,'selector':{'matchLabels':{'app':'web'}},'template':{"
	            "'metadata':{'labels':{'app':'web'}},'spec':{'containers':[{'name':'web',"
	            "'image':'nginx:1.27'},{'name':'sidecar','image':'busybox'}]}}},'status':{"
	            "'replicas':3,'updatedReplicas':3,'readyReplicas':2,'availableReplicas':2}},"
	            "{'metadata':{'name':'new','creationTimestamp':'%s'},'spec':{'replicas':1,"
	            "'selector':{'matchLabels':{'tier':'fe'},'matchExpressions':[{'key':'env',"
	            "'operator':'In','values':['prod','dev']},{'key':'canary','operator':"
	            "'DoesNotExist'},{'key':'zone','operator':'NotIn','values':['b','a']},"
	            "{'key':'app','operator':'Exists'}]},'template':{'spec':{'containers':"
	            "[{'name':'api','image':'api:2'}]}}},'status':{}},"
	            "{'metadata':{'name':'broken','creationTimestamp':'%s'},'spec':{'replicas':0,"
	            "'selector':{'matchExpressions':[{'key':'app','operator':'Bogus'}]},"
	            "'template':{'spec':{'containers':[]}}}},"
	            "{'metadata':{'name':'everything','creationTimestamp':'%s'},'spec':{"
	            "'replicas':2,'selector':{},'template':{'spec':{'containers':[{'name':'a',"
	            "'image':'a'}]}}},'status':{'readyReplicas':2,'updatedReplicas':2,"
	            "'availableReplicas':2}}"
	            "]",
	            ago(10 * MIN), ago(3), ago(3), ago(3)));

	assert_columns(t, "Name:string:name:0|Ready:string::0|Up-to-date:string::0|"
	                  "Available:string::0|Age:string::0|Containers:string::1|"
	                  "Images:string::1|Selector:string::1");
	assert_json_eq(cells(t, 0), J("['web','2/3',3,2,'10m','web,sidecar','nginx:1.27,busybox',"
	                              "'app=web']"));
	assert_json_eq(cells(t, 1), J("['new','0/1',0,0,'3s','api','api:2',"
	                              "'app,!canary,env in (dev,prod),tier=fe,zone notin (a,b)']"));
	assert_json_eq(cells(t, 2), J("['broken','0/0',0,0,'3s','','','<invalid>']"));
	assert_json_eq(cells(t, 3), J("['everything','2/2',2,2,'3s','a','a','']"));
	json_decref(t);
}

static void replicasets(void **state)
{
	json_t *t =
	    table("apps", "replicasets",
	          J("["
	            "{'metadata':{'name':'web-5d4f8c7b9','creationTimestamp':'%s'},'spec':{"
	            "'replicas':3,'selector':{'matchLabels':{'pod-template-hash':'5d4f8c7b9',"
	            "'app':'web'}},'template':{'spec':{'containers':[{'name':'web','image':"
	            "'nginx:1.27'}]}}},'status':{'replicas':3,'readyReplicas':2}},"
	            "{'metadata':{'name':'all','creationTimestamp':'%s'},'spec':{'replicas':0,"
	            "'selector':{'matchLabels':{}},'template':{'spec':{'containers':[]}}},"
	            "'status':{'replicas':0}},"
	            "{'metadata':{'name':'bad','creationTimestamp':'%s'},'spec':{'replicas':1,"
	            "'selector':{'matchExpressions':[{'key':'app','operator':'In','values':[]}]},"
	            "'template':{'spec':{'containers':[{'name':'x','image':'y'}]}}}}"
	            "]",
	            ago(10 * MIN), ago(1), ago(1)));

	assert_columns(t, "Name:string:name:0|Desired:integer::0|Current:integer::0|"
	                  "Ready:integer::0|Age:string::0|Containers:string::1|"
	                  "Images:string::1|Selector:string::1");
	assert_json_eq(cells(t, 0), J("['web-5d4f8c7b9',3,3,2,'10m','web','nginx:1.27',"
	                              "'app=web,pod-template-hash=5d4f8c7b9']"));
	assert_json_eq(cells(t, 1), J("['all',0,0,0,'1s','','','<none>']"));
	assert_json_eq(cells(t, 2), J("['bad',1,0,0,'1s','x','y','<error>']"));
	json_decref(t);
}

/* ---- Job, ServiceAccount, RBAC, webhook configurations ---- */

static void jobs(void **state)
{
	json_t *t =
	    table("batch", "jobs",
	          J("["
	            /* Finished: Complete wins over the deletion, the duration is
	             * completion minus start. */
	            "{'metadata':{'name':'done','creationTimestamp':'%s','deletionTimestamp':'%s'},"
	            "'spec':{'completions':1,'parallelism':1,'selector':{'matchLabels':{"
	            "'batch.kubernetes.io/controller-uid':'u1'}},'template':{'spec':{"
	            "'containers':[{'name':'create','image':'certgen:v1'}]}}},"
	            "'status':{'startTime':'%s','completionTime':'%s','succeeded':1,"
	            "'conditions':[{'type':'SuccessCriteriaMet','status':'True'},"
	            "{'type':'Complete','status':'True'}]}},"
	            /* Running: the duration so far. */
	            "{'metadata':{'name':'run','creationTimestamp':'%s'},'spec':{'completions':3,"
	            "'parallelism':2,'template':{'spec':{'containers':[{'name':'a','image':'x'},"
	            "{'name':'b','image':'y'}]}}},'status':{'startTime':'%s','succeeded':1,"
	            "'conditions':[{'type':'Complete','status':'False'}]}},"
	            /* No completions: "of parallelism"; not started: no duration. */
	            "{'metadata':{'name':'work-queue','creationTimestamp':'%s'},'spec':{"
	            "'parallelism':4,'template':{'spec':{'containers':[]}}},'status':{}},"
	            "{'metadata':{'name':'bad','creationTimestamp':'%s'},'spec':{'completions':1},"
	            "'status':{'failed':7,'conditions':[{'type':'FailureTarget','status':'True'},"
	            "{'type':'Failed','status':'True'}]}},"
	            "{'metadata':{'name':'gone','creationTimestamp':'%s','deletionTimestamp':'%s'},"
	            "'spec':{'completions':1,'suspend':true},'status':{'conditions':[{'type':"
	            "'Suspended','status':'True'}]}},"
	            "{'metadata':{'name':'held','creationTimestamp':'%s'},'spec':{'completions':1},"
	            "'status':{'conditions':[{'type':'Suspended','status':'True'}]}}"
	            "]",
	            ago(10 * MIN), ago(MIN), ago(10 * MIN), ago(10 * MIN - 3), ago(3 * HOUR),
	            ago(3 * HOUR - 30), ago(DAY), ago(DAY), ago(5), ago(1), ago(5)));

	assert_columns(t, "Name:string:name:0|Status:string::0|Completions:string::0|"
	                  "Duration:string::0|Age:string::0|Containers:string::1|"
	                  "Images:string::1|Selector:string::1");
	assert_json_eq(cells(t, 0), J("['done','Complete','1/1','3s','10m','create','certgen:v1',"
	                              "'batch.kubernetes.io/controller-uid=u1']"));
	assert_json_eq(cells(t, 1), J("['run','Running','1/3','179m','3h','a,b','x,y','<none>']"));
	assert_json_eq(cells(t, 2), J("['work-queue','Running','0/1 of 4','','24h','','',"
	                              "'<none>']"));
	assert_json_eq(cells(t, 3), J("['bad','Failed','0/1','','24h','','','<none>']"));
	assert_json_eq(cells(t, 4), J("['gone','Terminating','0/1','','5s','','','<none>']"));
	assert_json_eq(cells(t, 5), J("['held','Suspended','0/1','','5s','','','<none>']"));
	json_decref(t);
}

static void serviceaccounts(void **state)
{
	json_t *t = table("", "serviceaccounts",
	                  J("[{'metadata':{'name':'ingress-nginx','namespace':'ingress-nginx',"
	                    "'creationTimestamp':'%s'},'automountServiceAccountToken':true},"
	                    "{'metadata':{'name':'build','creationTimestamp':'%s'},'secrets':["
	                    "{'name':'a'},{'name':'b'}]}]",
	                    ago(2 * MIN), ago(2 * DAY)));

	assert_columns(t, "Name:string:name:0|Secrets:string::0|Age:string::0");
	/* The column says string; the cell is a number, as kube's. */
	assert_json_eq(cells(t, 0), J("['ingress-nginx',0,'2m']"));
	assert_json_eq(cells(t, 1), J("['build',2,'2d']"));
	json_decref(t);
}

static void roles_and_bindings(void **state)
{
	json_t *t = table("rbac.authorization.k8s.io", "clusterroles",
	                  J("[{'metadata':{'name':'ingress-nginx','creationTimestamp':"
	                    "'2024-05-06T07:08:09Z'},'rules':[{'verbs':['get'],'resources':"
	                    "['pods'],'apiGroups':['']}]},{'metadata':{'name':'odd'}}]"));

	assert_columns(t, "Name:string:name:0|Created At:date::0");
	assert_json_eq(cells(t, 0), J("['ingress-nginx','2024-05-06T07:08:09Z']"));
	/* Go's zero time, as metav1.Time formats it. */
	assert_json_eq(cells(t, 1), J("['odd','0001-01-01T00:00:00Z']"));
	json_decref(t);

	t = table("rbac.authorization.k8s.io", "roles",
	          J("[{'metadata':{'name':'r','namespace':'ingress-nginx','creationTimestamp':"
	            "'2024-05-06T07:08:09Z'}}]"));
	assert_columns(t, "Name:string:name:0|Created At:date::0");
	json_decref(t);

	t = table("rbac.authorization.k8s.io", "rolebindings",
	          J("[{'metadata':{'name':'ingress-nginx','namespace':'ingress-nginx',"
	            "'creationTimestamp':'%s'},'roleRef':{'apiGroup':'rbac.authorization.k8s.io',"
	            "'kind':'Role','name':'ingress-nginx'},'subjects':[{'kind':'ServiceAccount',"
	            "'name':'ingress-nginx','namespace':'ingress-nginx'},{'kind':'User','name':"
	            "'alice','apiGroup':'rbac.authorization.k8s.io'},{'kind':'User','name':'bob'},"
	            "{'kind':'Group','name':'devs'},{'kind':'Robot','name':'r2'}]}]",
	            ago(90)));
	assert_columns(t, "Name:string:name:0|Role:string::0|Age:string::0|Users:string::1|"
	                  "Groups:string::1|ServiceAccounts:string::1");
	assert_json_eq(cells(t, 0), J("['ingress-nginx','Role/ingress-nginx','90s','alice, bob',"
	                              "'devs','ingress-nginx/ingress-nginx']"));
	json_decref(t);

	t = table("rbac.authorization.k8s.io", "clusterrolebindings",
	          J("[{'metadata':{'name':'admission','creationTimestamp':'%s'},'roleRef':{"
	            "'kind':'ClusterRole','name':'ingress-nginx-admission'}}]",
	            ago(90)));
	assert_columns(t, "Name:string:name:0|Role:string::0|Age:string::0|Users:string::1|"
	                  "Groups:string::1|ServiceAccounts:string::1");
	assert_json_eq(cells(t, 0), J("['admission','ClusterRole/ingress-nginx-admission','90s',"
	                              "'','','']"));
	json_decref(t);
}

static void webhook_configurations(void **state)
{
	static const char *const res[] = {"validatingwebhookconfigurations",
	                                  "mutatingwebhookconfigurations"};

	for (size_t i = 0; i < 2; i++) {
		json_t *t = table("admissionregistration.k8s.io", res[i],
		                  J("[{'metadata':{'name':'ingress-nginx-admission',"
		                    "'creationTimestamp':'%s'},'webhooks':[{'name':"
		                    "'validate.nginx.ingress.kubernetes.io','sideEffects':'None',"
		                    "'admissionReviewVersions':['v1'],'clientConfig':{'service':{"
		                    "'name':'x','namespace':'y'}}}]},{'metadata':{'name':'empty',"
		                    "'creationTimestamp':'%s'}}]",
		                    ago(3 * MIN), ago(3 * MIN)));

		assert_columns(t, "Name:string:name:0|Webhooks:integer::0|Age:string::0");
		assert_json_eq(cells(t, 0), J("['ingress-nginx-admission',1,'3m']"));
		assert_json_eq(cells(t, 1), J("['empty',0,'3m']"));
		json_decref(t);
	}
}

/* ---- Ingress, IngressClass, NetworkPolicy ---- */

static void ingresses(void **state)
{
	json_t *t =
	    table("networking.k8s.io", "ingresses",
	          J("["
	            "{'metadata':{'name':'app-ingress','creationTimestamp':'%s'},'spec':{"
	            "'ingressClassName':'nginx','rules':[{'host':'myapp.com','http':{'paths':"
	            "[{'path':'/','pathType':'Prefix','backend':{'service':{'name':"
	            "'frontend-service','port':{'number':80}}}}]}},{'host':'admin.myapp.com'}]},"
	            "'status':{'loadBalancer':{}}},"
	            "{'metadata':{'name':'secure-ingress','creationTimestamp':'%s'},'spec':{"
	            "'ingressClassName':'nginx','tls':[{'hosts':['myapp.com'],'secretName':"
	            "'myapp-tls'}],'rules':[{'host':'myapp.com'}]},'status':{'loadBalancer':{"
	            "'ingress':[{'ip':'192.168.1.240'},{'hostname':'ingress.local'},{'ip':"
	            "'192.168.1.10'}]}}},"
	            "{'metadata':{'name':'catchall','creationTimestamp':'%s'},'spec':{"
	            "'defaultBackend':{'service':{'name':'web','port':{'number':80}}}}},"
	            "{'metadata':{'name':'many','creationTimestamp':'%s'},'spec':{'rules':["
	            "{'http':{}},{'host':'a.com'},{'host':'b.com'},{'host':'c.com'},"
	            "{'host':'d.com'},{'host':'e.com'}]}}"
	            "]",
	            ago(4 * MIN), ago(4 * MIN), ago(4 * MIN), ago(4 * MIN)));

	assert_columns(t, "Name:string:name:0|Class:string::0|Hosts:string::0|"
	                  "Address:string::0|Ports:string::0|Age:string::0");
	assert_json_eq(cells(t, 0), J("['app-ingress','nginx','myapp.com,admin.myapp.com','',"
	                              "'80','4m']"));
	assert_json_eq(cells(t, 1),
	               J("['secure-ingress','nginx','myapp.com',"
	                 "'192.168.1.10,192.168.1.240,ingress.local','80, 443','4m']"));
	assert_json_eq(cells(t, 2), J("['catchall','<none>','*','','80','4m']"));
	/* Three hosts shown; "more" counts all six rules. */
	assert_json_eq(cells(t, 3), J("['many','<none>','a.com,b.com,c.com + 3 more...','',"
	                              "'80','4m']"));
	json_decref(t);
}

static void ingressclasses(void **state)
{
	json_t *t =
	    table("networking.k8s.io", "ingressclasses",
	          J("["
	            "{'metadata':{'name':'nginx','creationTimestamp':'%s','annotations':{"
	            "'ingressclass.kubernetes.io/is-default-class':'true'}},'spec':{'controller':"
	            "'k8s.io/ingress-nginx'}},"
	            "{'metadata':{'name':'external-lb','creationTimestamp':'%s'},'spec':{"
	            "'controller':'example.com/ingress-controller','parameters':{'apiGroup':"
	            "'k8s.example.com','kind':'IngressParameters','name':'external-lb'}}},"
	            "{'metadata':{'name':'cm','creationTimestamp':'%s'},'spec':{'controller':"
	            "'example.com/c','parameters':{'kind':'ConfigMap','name':'params','scope':"
	            "'Namespace','namespace':'kube-system'}}}"
	            "]",
	            ago(DAY), ago(DAY), ago(DAY)));

	assert_columns(t, "Name:string:name:0|Controller:string::0|Parameters:string::0|"
	                  "Age:string::0");
	assert_json_eq(cells(t, 0), J("['nginx','k8s.io/ingress-nginx','<none>','24h']"));
	assert_json_eq(cells(t, 1), J("['external-lb','example.com/ingress-controller',"
	                              "'IngressParameters.k8s.example.com/external-lb','24h']"));
	assert_json_eq(cells(t, 2), J("['cm','example.com/c','ConfigMap/params','24h']"));
	json_decref(t);
}

static void networkpolicies(void **state)
{
	json_t *t =
	    table("networking.k8s.io", "networkpolicies",
	          J("["
	            "{'metadata':{'name':'api-network-policy','namespace':'default',"
	            "'creationTimestamp':'%s'},'spec':{'podSelector':{'matchLabels':{'app':'api'}},"
	            "'policyTypes':['Ingress','Egress']}},"
	            "{'metadata':{'name':'default-deny','creationTimestamp':'%s'},'spec':{"
	            "'podSelector':{},'policyTypes':['Ingress']}},"
	            "{'metadata':{'name':'expr','creationTimestamp':'%s'},'spec':{'podSelector':{"
	            "'matchExpressions':[{'key':'app.kubernetes.io/name','operator':'In','values':"
	            "['web']}]}}}"
	            "]",
	            ago(119), ago(120), ago(600)));

	assert_columns(t, "Name:string:name:0|Pod-Selector:string::0|Age:string::0");
	assert_json_eq(cells(t, 0), J("['api-network-policy','app=api','119s']"));
	assert_json_eq(cells(t, 1), J("['default-deny','<none>','2m']"));
	assert_json_eq(cells(t, 2), J("['expr','app.kubernetes.io/name in (web)','10m']"));
	json_decref(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(age_boundaries),
	    cmocka_unit_test(envelope_and_include_modes),
	    cmocka_unit_test(unknown_resource_gets_name_and_age),
	    cmocka_unit_test(services),
	    cmocka_unit_test(pods),
	    cmocka_unit_test(pod_status_edge_cases),
	    cmocka_unit_test(endpoints),
	    cmocka_unit_test(endpointslices),
	    cmocka_unit_test(namespaces),
	    cmocka_unit_test(nodes),
	    cmocka_unit_test(secrets_and_configmaps),
	    cmocka_unit_test(events),
	    cmocka_unit_test(deployments),
	    cmocka_unit_test(replicasets),
	    cmocka_unit_test(jobs),
	    cmocka_unit_test(serviceaccounts),
	    cmocka_unit_test(roles_and_bindings),
	    cmocka_unit_test(webhook_configurations),
	    cmocka_unit_test(ingresses),
	    cmocka_unit_test(ingressclasses),
	    cmocka_unit_test(networkpolicies),
	};

	return cmocka_run_group_tests_name("apiserver_table", tests, NULL, NULL);
}
