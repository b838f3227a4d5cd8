package earshot.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * Judges whether an upload looks like audio or video, by its leading bytes and its file name, before a job is
 * created for it. Blocking file read: call from a worker.
 */
final class AudioSniffer {
  private AudioSniffer() {}

  static final Set<String> EXTENSIONS = Set.of("mp3", "wav", "m4a", "aac", "mp4", "m4v", "mov", "flac", "ogg",
      "oga", "opus", "webm", "mkv", "mka", "mpga", "mpeg", "amr", "wma", "aiff", "aif", "3gp");

  static boolean extensionAllowed(String fileName) {
    int dot = fileName == null ? -1 : fileName.lastIndexOf('.');
    return dot < 0 || EXTENSIONS.contains(fileName.substring(dot + 1).toLowerCase(Locale.ROOT));
  }

  static boolean looksLikeMedia(Path file) throws IOException {
    byte[] h = new byte[16];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(h, 0, h.length);
    }
    if (n < 4) {
      return false;
    }
    return ascii(h, 0, "ID3") // MP3 with ID3 tag
        || (h[0] & 0xFF) == 0xFF && (h[1] & 0xE0) == 0xE0 // MPEG audio frame sync / ADTS AAC
        || ascii(h, 0, "RIFF") && n >= 12 && (ascii(h, 8, "WAVE") || ascii(h, 8, "AVI "))
        || ascii(h, 0, "fLaC")
        || ascii(h, 0, "OggS")
        || (h[0] & 0xFF) == 0x1A && (h[1] & 0xFF) == 0x45 && (h[2] & 0xFF) == 0xDF && (h[3] & 0xFF) == 0xA3 // EBML
        || n >= 8 && ascii(h, 4, "ftyp") // MP4, M4A, MOV, 3GP
        || ascii(h, 0, "FORM") && n >= 12 && (ascii(h, 8, "AIFF") || ascii(h, 8, "AIFC"))
        || ascii(h, 0, "#!AMR")
        || (h[0] & 0xFF) == 0x30 && (h[1] & 0xFF) == 0x26 && (h[2] & 0xFF) == 0xB2 && (h[3] & 0xFF) == 0x75; // ASF/WMA
  }

  private static boolean ascii(byte[] h, int offset, String s) {
    if (offset + s.length() > h.length) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (h[offset + i] != (byte) s.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}
