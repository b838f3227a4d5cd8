package earshot.transcribe;

import earshot.jobs.PermanentStageException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;

/**
 * Checks a whisper.cpp legacy-ggml model file before it reaches whisper.cpp, because several malformed files load
 * "successfully" and then abort the whole JVM inside whisper_full (see the whisper-jni notes): an all-f32 model
 * (GGML_ASSERT in im2col), a vocabulary without the token {@code " "} (std::terminate), a vocabulary smaller than
 * 51864, zero layers, or a file that stops before its tensors ("assuming empty model for testing").
 *
 * <p>Reads the header, the mel filters and the vocabulary, then walks every tensor header and checks that its data
 * fits in the file; tensor data itself is skipped, so a 1.5 GB model is checked in milliseconds.
 *
 * <p>Threading: stateless, blocking file I/O; call from a worker.
 */
public final class ModelValidator {
  public static final int GGML_MAGIC = 0x67676d6c;
  /** whisper.cpp's mel code works on 1 + 400/2 FFT bins. */
  static final int N_FFT_BINS = 201;
  /** Quantized files store {@code ftype + 1000 * qnt_version}. */
  private static final int QNT_VERSION_FACTOR = 1000;
  /** ggml_ftype values whisper.cpp 1.7.1 runs: f16 and the quantized types (all-f32 aborts in full()). */
  private static final Set<Integer> RUNNABLE_FTYPES = Set.of(1, 2, 3, 7, 8, 9, 10, 11, 12, 13, 14);
  /** ggml tensor type → {block size in elements, bytes per block}. */
  private static final Map<Integer, int[]> TENSOR_TYPES = Map.ofEntries(
      Map.entry(0, new int[] {1, 4}), Map.entry(1, new int[] {1, 2}),
      Map.entry(2, new int[] {32, 18}), Map.entry(3, new int[] {32, 20}),
      Map.entry(6, new int[] {32, 22}), Map.entry(7, new int[] {32, 24}),
      Map.entry(8, new int[] {32, 34}), Map.entry(9, new int[] {32, 36}),
      Map.entry(10, new int[] {256, 84}), Map.entry(11, new int[] {256, 110}),
      Map.entry(12, new int[] {256, 144}), Map.entry(13, new int[] {256, 176}),
      Map.entry(14, new int[] {256, 210}), Map.entry(15, new int[] {256, 292}));

  /** The header fields whisper.cpp reads, in file order. */
  public record HParams(int nVocab, int nAudioCtx, int nAudioState, int nAudioHead, int nAudioLayer, int nTextCtx,
                        int nTextState, int nTextHead, int nTextLayer, int nMels, int ftype) {
    public boolean multilingual() {
      return nVocab >= 51865;
    }
  }

  /** What a valid file contains, for logs and tests. */
  public record Summary(HParams hparams, int vocabInFile, int tensors) {}

  private ModelValidator() {}

  /**
   * Validates {@code file}.
   *
   * @throws PermanentStageException naming the file and the first problem found
   */
  public static Summary validate(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return new Reader(ch).check();
    } catch (Invalid e) {
      throw new PermanentStageException("invalid whisper model " + file + ": " + e.getMessage());
    } catch (EOFException e) {
      throw new PermanentStageException("invalid whisper model " + file + ": truncated (" + e.getMessage() + ")");
    } catch (IOException e) {
      throw new PermanentStageException("cannot read whisper model " + file + ": " + e.getMessage(), e);
    }
  }

  private static final class Invalid extends IOException {
    Invalid(String message) {
      super(message);
    }
  }

  /** A little-endian cursor over the file that never reads tensor data. */
  private static final class Reader {
    private final FileChannel ch;
    private final long size;
    private long pos;
    private final ByteBuffer win = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private long winStart;

    Reader(FileChannel ch) throws IOException {
      this.ch = ch;
      this.size = ch.size();
      win.limit(0);
    }

    Summary check() throws IOException {
      if (size < 4 || i32("magic") != GGML_MAGIC) {
        throw new Invalid("not a ggml whisper model (bad magic; expected 0x67676d6c)");
      }
      HParams h = new HParams(i32("n_vocab"), i32("n_audio_ctx"), i32("n_audio_state"), i32("n_audio_head"),
          i32("n_audio_layer"), i32("n_text_ctx"), i32("n_text_state"), i32("n_text_head"), i32("n_text_layer"),
          i32("n_mels"), i32("ftype"));
      checkHParams(h);
      checkMelFilters(h);
      int vocab = checkVocab(h);
      int tensors = checkTensors();
      return new Summary(h, vocab, tensors);
    }

    private void checkHParams(HParams h) throws Invalid {
      range("n_vocab", h.nVocab(), 51864, 1 << 20);
      range("n_audio_ctx", h.nAudioCtx(), 1, 1 << 16);
      range("n_audio_state", h.nAudioState(), 1, 1 << 16);
      range("n_audio_head", h.nAudioHead(), 1, 1 << 10);
      range("n_audio_layer", h.nAudioLayer(), 1, 1 << 10);
      range("n_text_ctx", h.nTextCtx(), 1, 1 << 16);
      range("n_text_state", h.nTextState(), 1, 1 << 16);
      range("n_text_head", h.nTextHead(), 1, 1 << 10);
      range("n_text_layer", h.nTextLayer(), 1, 1 << 10);
      range("n_mels", h.nMels(), 1, 1 << 10);
      if (h.nAudioState() % h.nAudioHead() != 0 || h.nTextState() % h.nTextHead() != 0) {
        throw new Invalid("n_*_state must be a multiple of n_*_head");
      }
      int ftype = h.ftype() % QNT_VERSION_FACTOR;
      if (h.ftype() < 0 || !RUNNABLE_FTYPES.contains(ftype)) {
        throw new Invalid("ftype " + h.ftype() + " is not runnable: whisper.cpp needs f16 (1) or a quantized type"
            + (ftype == 0 ? " (an all-f32 model aborts the process in whisper_full)" : ""));
      }
    }

    private void checkMelFilters(HParams h) throws IOException {
      int nMel = i32("mel n_mel");
      int nFft = i32("mel n_fft");
      if (nMel != h.nMels()) {
        throw new Invalid("mel filters have n_mel " + nMel + " but n_mels is " + h.nMels());
      }
      if (nFft != N_FFT_BINS) {
        throw new Invalid("mel filters have n_fft " + nFft + ", expected " + N_FFT_BINS);
      }
      skip((long) nMel * nFft * 4, "mel filters");
    }

    /** Returns the number of tokens in the file; requires the token " " (suppress_blank looks it up). */
    private int checkVocab(HParams h) throws IOException {
      int n = i32("vocab size");
      range("vocab size", n, 1, h.nVocab());
      boolean space = false;
      for (int i = 0; i < n; i++) {
        int len = i32("token length");
        if (len < 0 || len > 1024) {
          throw new Invalid("token " + i + " has length " + len);
        }
        if (len == 1 && !space) {
          space = u8() == ' ';
        } else {
          skip(len, "token " + i);
        }
      }
      if (!space) {
        throw new Invalid("the vocabulary has no token \" \" (whisper.cpp would terminate the process)");
      }
      return n;
    }

    /** Walks the tensor headers to the end of the file; there must be at least one and every one must fit. */
    private int checkTensors() throws IOException {
      int count = 0;
      while (pos < size) {
        int nDims = i32("tensor n_dims");
        int nameLen = i32("tensor name length");
        int type = i32("tensor type");
        if (nDims < 1 || nDims > 4 || nameLen < 1 || nameLen > 512) {
          throw new Invalid("tensor " + count + " has a bad header (n_dims " + nDims + ", name length " + nameLen + ")");
        }
        int[] block = TENSOR_TYPES.get(type);
        if (block == null) {
          throw new Invalid("tensor " + count + " has unknown type " + type);
        }
        long elements = 1;
        long ne0 = 0;
        for (int d = 0; d < nDims; d++) {
          int ne = i32("tensor shape");
          if (ne < 1) {
            throw new Invalid("tensor " + count + " has dimension " + ne);
          }
          if (d == 0) {
            ne0 = ne;
          }
          elements = Math.multiplyExact(elements, ne);
        }
        if (ne0 % block[0] != 0) {
          throw new Invalid("tensor " + count + " row of " + ne0 + " is not a multiple of its block size");
        }
        skip(nameLen, "tensor name");
        skip(elements / block[0] * block[1], "tensor " + count + " data");
        count++;
      }
      if (count == 0) {
        throw new Invalid("the file ends before the first tensor (no weights)");
      }
      return count;
    }

    private static void range(String what, int v, int min, int max) throws Invalid {
      if (v < min || v > max) {
        throw new Invalid(what + " = " + v + " is outside [" + min + ", " + max + "]");
      }
    }

    private int i32(String what) throws IOException {
      return window(4, what).getInt((int) (pos - 4 - winStart));
    }

    private int u8() throws IOException {
      return window(1, "token").get((int) (pos - 1 - winStart)) & 0xff;
    }

    /** Makes the next {@code n} bytes available in the read-ahead window and advances past them. */
    private ByteBuffer window(int n, String what) throws IOException {
      if (pos + n > size) {
        throw new EOFException("ends in " + what + " at byte " + pos + " of " + size);
      }
      if (pos < winStart || pos + n > winStart + win.limit()) {
        win.clear();
        winStart = pos;
        while (win.hasRemaining() && winStart + win.position() < size) {
          if (ch.read(win, winStart + win.position()) < 0) {
            break;
          }
        }
        win.flip();
      }
      pos += n;
      return win;
    }

    private void skip(long n, String what) throws IOException {
      if (n < 0 || pos + n > size) {
        throw new EOFException("ends in " + what + " at byte " + pos + " of " + size + " (needs " + n + " more)");
      }
      pos += n;
    }
  }
}
