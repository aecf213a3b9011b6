import { AppError } from '../http/errors.js';

/** Decompression-bomb guard: images with more pixels than this are refused. */
const MAX_PIXELS = 100_000_000;
const PREVIEW_SIZE = 320;

export interface ProcessedImage {
  /** The image re-encoded from its pixels: upright, without EXIF, GPS, XMP, IPTC or comments. */
  content: Buffer;
  contentType: string;
  preview: Buffer;
}

/** Output format per input type; HEIC becomes JPEG (what every client can show). */
const OUTPUT: Record<string, { format: 'jpeg' | 'png' | 'gif' | 'webp'; contentType: string; animated: boolean }> = {
  'image/jpeg': { format: 'jpeg', contentType: 'image/jpeg', animated: false },
  'image/png': { format: 'png', contentType: 'image/png', animated: false },
  'image/gif': { format: 'gif', contentType: 'image/gif', animated: true },
  'image/webp': { format: 'webp', contentType: 'image/webp', animated: true },
  'image/heic': { format: 'jpeg', contentType: 'image/jpeg', animated: false },
};

/**
 * Re-encodes an image so that only its pixels survive (sharp drops all metadata unless asked to keep it), after
 * turning it upright by its EXIF orientation, and renders a WebP preview of at most 320×320. Images are decoded in
 * memory; their size is bounded by the image byte limit and MAX_PIXELS.
 */
export async function processImage(input: Buffer, contentType: string): Promise<ProcessedImage> {
  // Loaded on the first image, not at startup (it costs ~140 ms of cold start).
  const { default: sharp } = await import('sharp');
  const out = OUTPUT[contentType];
  if (!out) throw new AppError('attachment_unprocessable', 'Unsupported image type');
  try {
    const base = { limitInputPixels: MAX_PIXELS, failOn: 'error' as const };
    const image = sharp(input, { ...base, animated: out.animated }).autoOrient();
    const content = await (out.format === 'jpeg'
      ? image.jpeg({ quality: 90, mozjpeg: true })
      : out.format === 'png'
        ? image.png()
        : out.format === 'gif'
          ? image.gif()
          : image.webp({ quality: 90 })
    ).toBuffer();
    const preview = await sharp(input, { ...base, pages: 1 })
      .autoOrient()
      .resize(PREVIEW_SIZE, PREVIEW_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 75 })
      .toBuffer();
    return { content, contentType: out.contentType, preview };
  } catch {
    // Undecodable, truncated, too many pixels, or (HEIC with HEVC) a codec the bundled libvips lacks.
    throw new AppError('attachment_unprocessable', 'The image could not be decoded and cleaned');
  }
}
