#ifndef NETSCOUTER_CSDL2_SHIM_H
#define NETSCOUTER_CSDL2_SHIM_H
// SDL2 and SDL2_ttf for Swift. Function-like macros are not imported by Swift, so the few we
// need are re-exported here as static inline functions with an `ns_` prefix.
#include <SDL.h>
#include <SDL_ttf.h>
#include <SDL_image.h>

static inline int ns_SDL_WindowPosUndefined(void) { return SDL_WINDOWPOS_UNDEFINED; }
static inline int ns_SDL_WindowPosCentered(void) { return SDL_WINDOWPOS_CENTERED; }
static inline Uint32 ns_SDL_ButtonMask(int button) { return SDL_BUTTON(button); }
static inline int ns_SDL_SaveBMP(SDL_Surface *surface, const char *path) {
    return SDL_SaveBMP_RW(surface, SDL_RWFromFile(path, "wb"), 1);
}
#endif
