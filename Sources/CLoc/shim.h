#ifndef NETSCOUTER_CLOC_SHIM_H
#define NETSCOUTER_CLOC_SHIM_H
// IPFire libloc (Debian libloc-dev) for Swift: the location database gives country, AS and
// network flags for an address without any network call. Nothing else lives here.
#include <stdio.h>
#include <libloc/libloc.h>
#include <libloc/database.h>
#include <libloc/network.h>
#include <libloc/as.h>
#include <libloc/country.h>
#endif
