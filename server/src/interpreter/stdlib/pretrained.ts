// transformers' `from_pretrained(name)` as Memlens reads it: the model's `config.json` from a local
// folder or the local Hugging Face hub cache (never downloaded), the model built from that config
// as `from_config` builds it. Weights are never read: their values change no byte a training step
// holds, and their dtype is the config's (`dtype`/`torch_dtype`, what transformers' default
// `dtype="auto"` picks) or the `dtype=` argument. Installed on transformers' classes when
// `transformers.modeling_utils` and `transformers.models.auto.auto_factory` load (before the auto
// classes copy `from_pretrained`).
import * as fs from 'fs';
import { MAX_READ_BYTES, readRegularFile } from '../files';
import * as os from 'os';
import * as path from 'path';
import { call } from '../calls';
import { resolveImport } from '../modules';
import { getattr, getattrOrUndefined, setClassAttr } from '../objects';
import type { InterpreterState } from '../state';
import { Args, ClassV, DictV, Loc, ModuleV, PyException, Value, args, builtin } from '../values';
import { parseJson } from './systemModules';

/** Arguments of from_pretrained that are about fetching and loading files, not the model's shape. */
const LOADING = new Set([
  'cache_dir', 'force_download', 'local_files_only', 'token', 'use_auth_token', 'revision', 'subfolder', 'trust_remote_code', 'device_map',
  'low_cpu_mem_usage', 'use_safetensors', 'weights_only', 'proxies', 'resume_download', 'output_loading_info', 'state_dict', 'offload_folder',
  'offload_state_dict', 'max_memory', 'quantization_config', 'variant', 'key_mapping', 'tp_plan', 'tp_size', 'device_mesh', 'gguf_file', 'from_tf', 'from_flax',
  'ignore_mismatched_sizes', 'mirror', '_fast_init', 'code_revision', 'adapter_name', 'adapter_kwargs', 'distributed_config', 'use_kernels', 'kernel_config',
]);

/** Arguments passed on to the model's construction (`from_config` takes them too). */
const MODEL_KWARGS = new Set(['dtype', 'torch_dtype', 'attn_implementation']);

function hubCache(cacheDir: string | null): string {
  if (cacheDir) return cacheDir;
  if (process.env.HF_HUB_CACHE) return process.env.HF_HUB_CACHE;
  const home = process.env.HF_HOME ?? path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'huggingface');
  return path.join(home, 'hub');
}

/** The path of `config.json` for a local folder or a hub id in the local cache; else an OSError saying what to do. */
export function locateConfig(name: string, subfolder: string, revision: string | null, cacheDir: string | null, at: Loc): string {
  const isDir = (p: string) => {
    try {
      return fs.statSync(p).isDirectory();
    } catch {
      return false;
    }
  };
  const isFile = (p: string) => {
    try {
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (isDir(name)) {
    const file = path.join(name, subfolder, 'config.json');
    if (isFile(file)) return file;
    throw new PyException('OSError', `${name} has no config.json: Memlens builds the model from its config`, at);
  }
  const cache = hubCache(cacheDir);
  const repo = path.join(cache, `models--${name.split('/').join('--')}`);
  const rev = revision ?? 'main';
  let commit = /^[0-9a-f]{40}$/.test(rev) ? rev : null;
  if (!commit) {
    try {
      commit = readRegularFile(path.join(repo, 'refs', rev), 4096)?.trim() ?? null;
    } catch {
      commit = null;
    }
  }
  const file = commit ? path.join(repo, 'snapshots', commit, subfolder, 'config.json') : null;
  if (file && isFile(file)) return file;
  throw new PyException(
    'OSError',
    `from_pretrained('${name}') needs the model's config.json, which is not in the local Hugging Face cache (${cache}); Memlens downloads nothing. Download it once (\`hf download ${name} config.json\`) or build the model from a config (\`from_config(AutoConfig.for_model(...))\`)`,
    at,
  );
}

/** `cls.from_pretrained(name, *args, config=None, **kwargs)` for transformers' model and auto classes. */
function fromPretrained(state: InterpreterState): Value {
  return builtin('transformers.PreTrainedModel.from_pretrained', (a: Args, at: Loc) => {
    const cls = a.pos[0];
    if (cls?.k !== 'class') throw new PyException('TypeError', 'from_pretrained() must be called on a class', at);
    const nameV = a.pos[1] ?? a.kw.get('pretrained_model_name_or_path');
    const text = (v: Value | undefined) => (v?.k === 'str' ? v.v : v?.k === 'instance' && v.base?.k === 'str' ? v.base.v : null);
    let config = a.kw.get('config');
    const modelKw = new Map<string, Value>();
    const configKw = new Map<string, Value>();
    for (const [k, v] of a.kw) {
      if (k === 'config' || k === 'pretrained_model_name_or_path' || LOADING.has(k)) continue;
      (MODEL_KWARGS.has(k) ? modelKw : configKw).set(k, v);
    }
    // transformers' `dtype="auto"` (its default): the config's own dtype, which from_config uses.
    for (const k of ['dtype', 'torch_dtype']) if (text(modelKw.get(k)) === 'auto') modelKw.delete(k);
    if (!config || config.k === 'none' || text(config) !== null) {
      const where = text(config) ?? text(nameV);
      if (where === null) {
        if (nameV?.k === 'unknown') return nameV;
        throw new PyException('TypeError', 'from_pretrained() needs the name or path of a model', at);
      }
      const file = locateConfig(where, text(a.kw.get('subfolder')) ?? '', text(a.kw.get('revision')), text(a.kw.get('cache_dir')), at);
      const json = readRegularFile(file);
      if (json === undefined) throw new PyException('OSError', `${file} is not a regular file of at most ${MAX_READ_BYTES} bytes`, at);
      const dict = parseJson(json, at);
      if (dict.k !== 'dict') throw new PyException('OSError', `${file} is not a JSON object`, at);
      const entries = new Map([...(dict as DictV).map.values()].flatMap(([k, v]) => (k.k === 'str' ? [[k.v, v] as [string, Value]] : [])));
      const modelType = entries.get('model_type');
      if (modelType?.k !== 'str') throw new PyException('ValueError', `${file} has no model_type: Memlens cannot tell which config class reads it`, at);
      entries.delete('model_type');
      for (const [k, v] of configKw) entries.set(k, v);
      const auto = resolveImport(state, 'transformers.models.auto.configuration_auto', 0, at.file, at);
      if (auto.k === 'unknown') return auto;
      const forModel = getattr(state, getattr(state, auto, 'AutoConfig', at), 'for_model', at);
      config = call(state, forModel, { pos: [modelType], kw: entries }, at);
    }
    // An auto class maps the config to its model class; a model class builds itself.
    const isAuto = getattrOrUndefined(state, cls, '_model_mapping', at);
    const build = isAuto && isAuto.k !== 'none' ? getattr(state, cls, 'from_config', at) : getattr(state, cls, '_from_config', at);
    return call(state, build, { pos: [config], kw: modelKw }, at);
  });
}

/** Puts the shim on transformers' classes as their modules finish loading. */
export function patchLoadedModule(state: InterpreterState, mod: ModuleV): void {
  // By file: a module loaded through a relative import is named by its last part.
  const fileV = mod.attrs.get('__file__');
  const file = fileV?.k === 'str' ? fileV.v.split(path.sep).join('/') : '';
  const target = file.endsWith('/transformers/modeling_utils.py') ? 'PreTrainedModel' : file.endsWith('/transformers/models/auto/auto_factory.py') ? '_BaseAutoModelClass' : null;
  if (!target) return;
  const cls = mod.attrs.get(target);
  const classmethod = state.lib.builtins.get('classmethod');
  if (cls?.k !== 'class' || !classmethod) return;
  setClassAttr(cls as ClassV, 'from_pretrained', call(state, classmethod, args([fromPretrained(state)]), { file: mod.name, line: 1 }));
}
