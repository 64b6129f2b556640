/*
 * The child for `npm run bench -- children`: the smallest Windows program that stays alive until
 * told to end. No C runtime (-nostdlib, entry point `start`), kernel32 only, GUI subsystem so
 * that Wine starts no conhost.exe beside it (a console program gets one). It waits on its
 * standard input handle, which the benchmark makes a manual-reset event shared by every child
 * (spawnProcess's stdin option takes a HANDLE and gives the child an inheritable duplicate):
 * one SetEvent ends them all, each by its own ExitProcess(0), as children normally end.
 * Exit code 2: no standard input handle; 3: the wait failed.
 *
 * Built by bench/reference/build.mjs with MinGW-w64 when it is installed.
 */
#include <windows.h>

void start(void) {
  HANDLE input = GetStdHandle(STD_INPUT_HANDLE);
  if (input == NULL || input == INVALID_HANDLE_VALUE) ExitProcess(2);
  ExitProcess(WaitForSingleObject(input, INFINITE) == WAIT_OBJECT_0 ? 0 : 3);
}
