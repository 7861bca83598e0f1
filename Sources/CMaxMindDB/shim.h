#ifndef NETSCOUTER_CMAXMINDDB_SHIM_H
#define NETSCOUTER_CMAXMINDDB_SHIM_H
// libmaxminddb (Debian libmaxminddb-dev) for Swift: an optional MaxMind-format .mmdb the user
// chooses (GeoLite2 Country/ASN, DB-IP Lite). MMDB_get_value is variadic, which Swift cannot
// call, so fixed-depth paths get small wrappers. Nothing else lives here.
#include <maxminddb.h>

static inline int ns_mmdb_get1(MMDB_entry_s *entry, MMDB_entry_data_s *data, const char *a) {
    const char *path[] = { a, NULL };
    return MMDB_aget_value(entry, data, path);
}
static inline int ns_mmdb_get2(MMDB_entry_s *entry, MMDB_entry_data_s *data, const char *a, const char *b) {
    const char *path[] = { a, b, NULL };
    return MMDB_aget_value(entry, data, path);
}
#endif
