// Entry point of @spx/plugin-local; its stages are added as they are built.
export {};
