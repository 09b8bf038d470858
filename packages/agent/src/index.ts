/** @baaaht/agent: under construction in this change. */
export {};
