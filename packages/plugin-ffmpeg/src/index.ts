// Entry point of @spx/plugin-ffmpeg; its stages are added as they are built.
export {};
