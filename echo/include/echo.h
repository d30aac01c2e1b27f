/* The echo app: a program of its own that pods run, reached through
 * `k1s echo-server` so that one binary ships it. */
#ifndef ECHO_H
#define ECHO_H

/* `k1s echo-server`: the built-in app of images the catalog does not know.
 * Listens on every port given (--port N[/tcp|/udp], repeatable) and answers
 * HTTP with JSON naming the pod (from POD_NAME, POD_NAMESPACE, POD_IP,
 * NODE_NAME, POD_IMAGE), plain TCP by echoing, UDP by echoing datagrams.
 * Returns the process exit code. */
int pod_echo_main(int argc, char **argv);

#endif
