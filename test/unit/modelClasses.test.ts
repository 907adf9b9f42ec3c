// The module classes the language server reads from a document's text (for the "Analyze" quick fix
// and lenses): which classes are modules, where they start, and their required constructor arguments.
import * as assert from 'node:assert/strict';
import { it } from 'node:test';
import { moduleClassesOfText } from '../../server/src/lsp/modelClasses';

it('module classes: torch and library bases, bases of the file, decorators, multi-line and keyword-only signatures', () => {
  const text = `import torch.nn as nn
from dataclasses import dataclass


@dataclass
class Config:
    width: int = 8


class Block(nn.Module):
    def __init__(self, dim: int, hidden=None, *, act="gelu"):
        super().__init__()


class Deep(Block):
    pass


@some.decorator(x=1)
class Net(torch.nn.Module):
    def __init__(
        self,
        cfg: Config,  # the config
        depth: int = 2,
        *blocks,
        extra,
    ):
        super().__init__()

    def helper(self, a, b):
        pass


class Head(nn.Sequential):
    pass
`;
  assert.deepEqual(moduleClassesOfText(text), [
    { name: 'Block', line: 9, required: ['dim'] },
    { name: 'Deep', line: 14, required: [] },
    { name: 'Net', line: 18, required: ['cfg'] },
    { name: 'Head', line: 33, required: [] },
  ]);
});
