/**
 * Photo metadata that travels from a decoded file to the file written from it: the EXIF block,
 * the ICC colour profile and the XMP packet, as raw bytes. Pure byte handling, no sharp.
 *
 * The reader applies the EXIF orientation to the pixels, so the metadata it returns says
 * orientation 1 (EXIF and XMP alike): a copy that kept the old tag would make viewers rotate the
 * already-rotated pixels a second time.
 */

export interface ImageMetadata {
  /** EXIF block, either bare TIFF data ("II*\0"/"MM\0*") or with the "Exif\0\0" prefix */
  exif?: Buffer;
  /** the ICC profile the pixel values are encoded in; absent means sRGB */
  icc?: Buffer;
  /** XMP packet (UTF-8 XML) */
  xmp?: Buffer;
}

const EXIF_PREFIX = Buffer.from('Exif\0\0', 'latin1');
const ORIENTATION_TAG = 0x0112;

/** The EXIF block without its "Exif\0\0" prefix (the form PNG's eXIf chunk stores). */
export function exifTiffData(exif: Uint8Array): Buffer {
  const bytes = Buffer.from(exif.buffer, exif.byteOffset, exif.byteLength);
  return bytes.subarray(0, 6).equals(EXIF_PREFIX) ? bytes.subarray(6) : bytes;
}

interface OrientationEntry {
  /** byte offset of the SHORT value inside `tiff` */
  offset: number;
  little: boolean;
}

/** Finds IFD0's Orientation entry in bare TIFF data, or null when absent or malformed. */
function findOrientation(tiff: Buffer): OrientationEntry | null {
  if (tiff.length < 8) return null;
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return null;
  const little = order === 'II';
  const u16 = (at: number) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  if (u16(2) !== 42) return null;
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return null;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + 12 * i;
    if (entry + 12 > tiff.length) return null;
    // type 3 = SHORT, one value, stored in the first two bytes of the value field
    if (u16(entry) === ORIENTATION_TAG) return u16(entry + 2) === 3 && u32(entry + 4) === 1 ? { offset: entry + 8, little } : null;
  }
  return null;
}

/** The Orientation tag (1-8) of an EXIF block, or undefined when it has none. */
// @testSeam: the writers' tests read the tag back with it (batch-output, image-write, metadata, restorer-output)
export function exifOrientation(exif: Uint8Array): number | undefined {
  const tiff = exifTiffData(exif);
  const entry = findOrientation(tiff);
  if (!entry) return undefined;
  return entry.little ? tiff.readUInt16LE(entry.offset) : tiff.readUInt16BE(entry.offset);
}

/** A copy of the EXIF block with its Orientation tag set to `orientation` (unchanged when it has none). */
export function withExifOrientation(exif: Uint8Array, orientation: number): Buffer {
  const copy = Buffer.from(exif);
  const prefixed = copy.subarray(0, 6).equals(EXIF_PREFIX);
  const tiff = prefixed ? copy.subarray(6) : copy;
  const entry = findOrientation(tiff);
  if (entry) {
    if (entry.little) tiff.writeUInt16LE(orientation, entry.offset);
    else tiff.writeUInt16BE(orientation, entry.offset);
  }
  return copy;
}

/** A copy of the XMP packet with tiff:Orientation (attribute or element form) set to `orientation`. */
export function withXmpOrientation(xmp: Uint8Array, orientation: number): Buffer {
  const text = Buffer.from(xmp).toString('utf8');
  const fixed = text
    .replace(/(tiff:Orientation\s*=\s*["'])\d(["'])/g, `$1${orientation}$2`)
    .replace(/(<tiff:Orientation>\s*)\d(\s*<\/tiff:Orientation>)/g, `$1${orientation}$2`);
  return Buffer.from(fixed, 'utf8');
}

/** The colour space an ICC profile describes, from its header: 'RGB', 'GRAY', 'CMYK', 'Lab', … */
export function iccColourSpace(icc: Uint8Array): string | undefined {
  if (icc.length < 20) return undefined;
  return Buffer.from(icc.buffer, icc.byteOffset + 16, 4).toString('latin1').trim();
}

/** True when there is anything to attach. */
export function hasMetadata(metadata: ImageMetadata | undefined): boolean {
  return Boolean(metadata && (metadata.exif?.length || metadata.icc?.length || metadata.xmp?.length));
}
