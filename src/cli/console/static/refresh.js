// Lets a page ask for a refresh of what it shows (after a change it made) without importing the
// router, which imports the pages.
let handler = async () => {};

export function onRefresh(fn) {
  handler = fn;
}

export function refreshNow() {
  return handler();
}
