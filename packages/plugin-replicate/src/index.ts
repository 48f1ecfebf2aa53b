// Entry point of @spx/plugin-replicate; its stages are added as they are built.
export {};
