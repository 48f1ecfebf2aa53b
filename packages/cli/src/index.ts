// Entry point of @spx/cli; its stages are added as they are built.
export {};
