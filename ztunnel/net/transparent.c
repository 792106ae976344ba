/*
 * Transparent sockets for ztunnel (a Node-API addon). Node.js cannot set IP_TRANSPARENT, which
 * TPROXY needs on the listening socket and which lets ztunnel bind an outgoing connection to an
 * address that is not its own (the original client's, so the app sees the real source). Both
 * functions return a file descriptor that Node adopts: net.Server#listen({ fd }) and
 * new net.Socket({ fd }).connect(...). Nothing else lives here; all policy is in TypeScript.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <node_api.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IP_TRANSPARENT
#define IP_TRANSPARENT 19
#endif
#ifndef IPV6_TRANSPARENT
#define IPV6_TRANSPARENT 75
#endif
#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  char code[32];
  snprintf(code, sizeof code, "E%d", err);
  napi_throw_error(env, code, msg);
  return NULL;
}

/* Parses (host, port) into a sockaddr; returns the family or 0 when host is not an IP literal. */
static int parse_addr(const char *host, unsigned port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((unsigned short)port);
    *len = sizeof *v4;
    return AF_INET;
  }
  if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((unsigned short)port);
    *len = sizeof *v6;
    return AF_INET6;
  }
  return 0;
}

static int read_args(napi_env env, napi_callback_info info, char *host, size_t host_len, unsigned *port, int *extra) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return -1;
  size_t copied = 0;
  if (napi_get_value_string_utf8(env, argv[0], host, host_len, &copied) != napi_ok) return -1;
  uint32_t p = 0;
  if (napi_get_value_uint32(env, argv[1], &p) != napi_ok || p > 65535) return -1;
  *port = p;
  if (extra) {
    int32_t e = 0;
    if (argc >= 3 && napi_get_value_int32(env, argv[2], &e) != napi_ok) return -1;
    *extra = e;
  }
  return 0;
}

static int make_socket(int family, int *err) {
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { *err = errno; return -1; }
  int one = 1;
  int level = family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
  int opt = family == AF_INET ? IP_TRANSPARENT : IPV6_TRANSPARENT;
  if (setsockopt(fd, level, opt, &one, sizeof one) != 0) { *err = errno; close(fd); return -1; }
  return fd;
}

/* transparentListen(host, port, backlog) → fd: a listening TCP socket with IP_TRANSPARENT. */
static napi_value transparent_listen(napi_env env, napi_callback_info info) {
  char host[64];
  unsigned port = 0;
  int backlog = 511;
  if (read_args(env, info, host, sizeof host, &port, &backlog) != 0) {
    napi_throw_type_error(env, NULL, "transparentListen(host: string, port: number, backlog?: number)");
    return NULL;
  }
  if (backlog <= 0) backlog = 511;
  struct sockaddr_storage ss;
  socklen_t len = 0;
  int family = parse_addr(host, port, &ss, &len);
  if (!family) return throw_errno(env, "transparentListen: host is not an IP address", EINVAL);
  int err = 0;
  int fd = make_socket(family, &err);
  if (fd < 0) return throw_errno(env, "transparentListen: IP_TRANSPARENT", err);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, backlog) != 0) {
    err = errno;
    close(fd);
    return throw_errno(env, "transparentListen: bind/listen", err);
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

/*
 * transparentBind(host, port, mark?) → fd: an unconnected TCP socket bound to host:port (any
 * address), with SO_MARK = mark when mark is not 0 (the capture rules recognise its connections).
 */
static napi_value transparent_bind(napi_env env, napi_callback_info info) {
  char host[64];
  unsigned port = 0;
  int mark = 0;
  if (read_args(env, info, host, sizeof host, &port, &mark) != 0) {
    napi_throw_type_error(env, NULL, "transparentBind(host: string, port: number, mark?: number)");
    return NULL;
  }
  struct sockaddr_storage ss;
  socklen_t len = 0;
  int family = parse_addr(host, port, &ss, &len);
  if (!family) return throw_errno(env, "transparentBind: host is not an IP address", EINVAL);
  int err = 0;
  int fd = make_socket(family, &err);
  if (fd < 0) return throw_errno(env, "transparentBind: IP_TRANSPARENT", err);
  if (mark != 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) {
    err = errno;
    close(fd);
    return throw_errno(env, "transparentBind: SO_MARK", err);
  }
  int one = 1;
  /* Let connect() pick the port together with the destination: the 4-tuple, not the port, must be
   * unique. An IPPROTO_IP option that IPv6 sockets honour too. */
  if (port == 0) setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
    err = errno;
    close(fd);
    return throw_errno(env, "transparentBind: bind", err);
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

/* closeFd(fd): for a descriptor Node never adopted. */
static napi_value close_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 1 &&
      napi_get_value_int32(env, argv[0], &fd) == napi_ok && fd > 2) {
    close(fd);
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"transparentListen", NULL, transparent_listen, NULL, NULL, NULL, napi_default, NULL},
    {"transparentBind", NULL, transparent_bind, NULL, NULL, NULL, napi_default, NULL},
    {"closeFd", NULL, close_fd, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
