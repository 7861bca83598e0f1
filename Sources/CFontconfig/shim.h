#ifndef NETSCOUTER_CFONTCONFIG_SHIM_H
#define NETSCOUTER_CFONTCONFIG_SHIM_H
// fontconfig, to find the UI fonts (DejaVu Sans, DejaVu Sans Mono) wherever Debian put them.
#include <fontconfig/fontconfig.h>
#endif
