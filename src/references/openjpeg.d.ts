/** The part of @cornerstonejs/codec-openjpeg's decoder (OpenJPEG built to WebAssembly, untyped upstream) used here. */
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  export interface J2KDecoder {
    /** The decoder's input buffer of `length` bytes, to fill with the JP2 or J2K bytes. */
    getEncodedBuffer(length: number): Uint8Array;
    decode(): void;
    getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean };
    /** Interleaved samples, 1 byte each up to 8 bits, else 2. */
    getDecodedBuffer(): Uint8Array;
    /** OPJ_COLOR_SPACE: 1 sRGB, 2 grey, 3 sYCC, 4 eYCC, 5 CMYK, 0/-1 unspecified. */
    getColorSpace(): number;
    delete(): void;
  }
  export interface OpenJpegModule {
    J2KDecoder: new () => J2KDecoder;
  }
  const factory: (options?: { print?: (text: string) => void; printErr?: (text: string) => void }) => Promise<OpenJpegModule>;
  export default factory;
}
