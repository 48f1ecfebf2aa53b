// Entry point of @spx/plugin-openai; its stages are added as they are built.
export {};
