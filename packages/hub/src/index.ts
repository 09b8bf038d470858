/** @baaaht/hub: under construction in this change. */
export {};
