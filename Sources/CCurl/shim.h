#ifndef NETSCOUTER_CCURL_SHIM_H
#define NETSCOUTER_CCURL_SHIM_H
// libcurl for Swift. curl_easy_setopt/curl_easy_getinfo are variadic, which Swift cannot call, so
// each argument type gets one typed wrapper. Nothing else lives here.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

typedef size_t (*ns_curl_data_callback)(char *data, size_t size, size_t count, void *context);

static inline CURLcode ns_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode ns_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode ns_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode ns_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode ns_curl_setopt_data_callback(CURL *handle, CURLoption option, ns_curl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode ns_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode ns_curl_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}
#endif
