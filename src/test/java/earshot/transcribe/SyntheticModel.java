package earshot.transcribe;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes a tiny whisper model in whisper.cpp's legacy ggml format with random weights, so tests run real
 * whisper.cpp without downloading anything. The text it produces is garbage; its structure (segments, times) is
 * real. Hard requirements (whisper-jni notes): f16 weights, a " " token, n_vocab ≥ 51864, one layer per side.
 *
 * <p>The default spec writes about 2.4 MB in well under a second. Generate into a temporary directory; never commit
 * a model.
 */
public final class SyntheticModel {
  /**
   * Sampling for tests that are not about sampling: one candidate and temperature steps of 0.4 (what the engine
   * always used before it took whisper.cpp's defaults). Random weights fail every decode's quality thresholds, so
   * whisper.cpp's defaults (five candidates at each of five fallback temperatures) make each decode many times longer.
   */
  public static final WhisperEngine.Sampling QUICK = new WhisperEngine.Sampling(1, 1, 0f, 0.4f);

  /** Model dimensions; {@code spaceToken=false} and {@code tensors=false} make deliberately broken files. */
  public record Spec(int nVocab, int nState, int nHead, int nLayer, int nMels, int nAudioCtx, int nTextCtx, int ftype,
                     boolean spaceToken, boolean tensors, long seed) {
    public static Spec tiny() {
      return new Spec(51864, 16, 2, 1, 80, 1500, 448, 1, true, true, 7);
    }

    public Spec multilingual() {
      return new Spec(51865, nState, nHead, nLayer, nMels, nAudioCtx, nTextCtx, ftype, spaceToken, tensors, seed);
    }

    public Spec ftype(int value) {
      return new Spec(nVocab, nState, nHead, nLayer, nMels, nAudioCtx, nTextCtx, value, spaceToken, tensors, seed);
    }

    public Spec withoutSpaceToken() {
      return new Spec(nVocab, nState, nHead, nLayer, nMels, nAudioCtx, nTextCtx, ftype, false, tensors, seed);
    }

    public Spec withoutTensors() {
      return new Spec(nVocab, nState, nHead, nLayer, nMels, nAudioCtx, nTextCtx, ftype, spaceToken, false, seed);
    }

    public Spec vocab(int n) {
      return new Spec(n, nState, nHead, nLayer, nMels, nAudioCtx, nTextCtx, ftype, spaceToken, tensors, seed);
    }
  }

  /** The last id of the text vocabulary; special tokens after it are made up by whisper.cpp. */
  private static final int TEXT_TOKENS = 50256;

  private final Spec spec;
  private final OutputStream out;
  private final Random random;
  private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

  private SyntheticModel(Spec spec, OutputStream out) {
    this.spec = spec;
    this.out = out;
    this.random = new Random(spec.seed());
  }

  public static Path write(Path file, Spec spec) throws IOException {
    try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      new SyntheticModel(spec, os).writeModel();
    }
    return file;
  }

  private void writeModel() throws IOException {
    int s = spec.nState();
    int[] hparams = {spec.nVocab(), spec.nAudioCtx(), s, spec.nHead(), spec.nLayer(), spec.nTextCtx(), s,
        spec.nHead(), spec.nLayer(), spec.nMels(), spec.ftype()};
    int32(ModelValidator.GGML_MAGIC);
    for (int h : hparams) {
      int32(h);
    }
    writeMelFilters();
    writeVocab();
    if (spec.tensors()) {
      writeWeights();
    }
  }

  /** A triangular filter bank over linear frequency: shape matters little, finite values do. */
  private void writeMelFilters() throws IOException {
    int bins = ModelValidator.N_FFT_BINS;
    int mels = spec.nMels();
    int32(mels);
    int32(bins);
    double width = (double) bins / (mels + 1);
    for (int m = 0; m < mels; m++) {
      double centre = (m + 1) * width;
      for (int k = 0; k < bins; k++) {
        float32((float) Math.max(0, 1 - Math.abs(k - centre) / width) * 0.01f);
      }
    }
  }

  private void writeVocab() throws IOException {
    int count = spec.nVocab() > 51864 ? TEXT_TOKENS + 1 : TEXT_TOKENS;
    int32(count);
    for (int id = 0; id < count; id++) {
      String token = id == 0 ? (spec.spaceToken() ? " " : "!") : " w" + id;
      byte[] bytes = token.getBytes(StandardCharsets.UTF_8);
      int32(bytes.length);
      out.write(bytes);
    }
  }

  private void writeWeights() throws IOException {
    int s = spec.nState();
    int w = spec.ftype() == 0 ? 0 : 1;
    tensor("encoder.positional_embedding", 0, 0.02, s, spec.nAudioCtx());
    tensor("encoder.conv1.weight", w, fanIn(3 * spec.nMels()), 3, spec.nMels(), s);
    tensor("encoder.conv1.bias", 0, 0, 1, s);
    tensor("encoder.conv2.weight", w, fanIn(3 * s), 3, s, s);
    tensor("encoder.conv2.bias", 0, 0, 1, s);
    layerNorm("encoder.ln_post", s);
    for (int i = 0; i < spec.nLayer(); i++) {
      block("encoder.blocks." + i + ".", false);
    }
    tensor("decoder.positional_embedding", 0, 0.02, s, spec.nTextCtx());
    tensor("decoder.token_embedding.weight", w, 0.5, s, spec.nVocab());
    layerNorm("decoder.ln", s);
    for (int i = 0; i < spec.nLayer(); i++) {
      block("decoder.blocks." + i + ".", true);
    }
  }

  private void block(String prefix, boolean decoder) throws IOException {
    int s = spec.nState();
    int w = spec.ftype() == 0 ? 0 : 1;
    layerNorm(prefix + "mlp_ln", s);
    tensor(prefix + "mlp.0.weight", w, fanIn(s), s, 4 * s);
    tensor(prefix + "mlp.0.bias", 0, 0, 4 * s);
    tensor(prefix + "mlp.2.weight", w, fanIn(4 * s), 4 * s, s);
    tensor(prefix + "mlp.2.bias", 0, 0, s);
    attention(prefix + "attn", w);
    if (decoder) {
      attention(prefix + "cross_attn", w);
    }
  }

  private void attention(String prefix, int w) throws IOException {
    int s = spec.nState();
    layerNorm(prefix + "_ln", s);
    tensor(prefix + ".query.weight", w, fanIn(s), s, s);
    tensor(prefix + ".query.bias", 0, 0, s);
    tensor(prefix + ".key.weight", w, fanIn(s), s, s);
    tensor(prefix + ".value.weight", w, fanIn(s), s, s);
    tensor(prefix + ".value.bias", 0, 0, s);
    tensor(prefix + ".out.weight", w, fanIn(s), s, s);
    tensor(prefix + ".out.bias", 0, 0, s);
  }

  private void layerNorm(String prefix, int n) throws IOException {
    header(prefix + ".weight", 0, n);
    for (int i = 0; i < n; i++) {
      float32(1f);
    }
    tensor(prefix + ".bias", 0, 0, n);
  }

  private static double fanIn(int n) {
    return 1 / Math.sqrt(n);
  }

  /** Uniform values in [-amplitude, amplitude]; {@code shape} in ggml order (fastest dimension first). */
  private void tensor(String name, int type, double amplitude, int... shape) throws IOException {
    header(name, type, shape);
    long count = 1;
    for (int d : shape) {
      count *= d;
    }
    for (long i = 0; i < count; i++) {
      float v = amplitude == 0 ? 0f : (float) ((random.nextDouble() * 2 - 1) * amplitude);
      if (type == 0) {
        float32(v);
      } else {
        scratch.clear();
        scratch.putShort(Float.floatToFloat16(v));
        out.write(scratch.array(), 0, 2);
      }
    }
  }

  private void header(String name, int type, int... shape) throws IOException {
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    int32(shape.length);
    int32(bytes.length);
    int32(type);
    for (int d : shape) {
      int32(d);
    }
    out.write(bytes);
  }

  private void int32(int v) throws IOException {
    scratch.clear();
    scratch.putInt(v);
    out.write(scratch.array(), 0, 4);
  }

  private void float32(float v) throws IOException {
    scratch.clear();
    scratch.putFloat(v);
    out.write(scratch.array(), 0, 4);
  }
}
