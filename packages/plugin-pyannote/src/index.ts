// Entry point of @spx/plugin-pyannote; its stages are added as they are built.
export {};
