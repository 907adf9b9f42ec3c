// A large, realistic model file for benchmarks: many block classes (conv, MLP and attention
// blocks), a model that stacks some of them, and a directive naming the entry.

const HEADER = `import torch
import torch.nn as nn
import torch.nn.functional as F

`;

function convBlock(i: number): string {
  return `class ConvBlock${i}(nn.Module):
    """Conv-BN-ReLU pair with a residual connection (variant ${i})."""

    def __init__(self, channels=32, expansion=${1 + (i % 3)}):
        super().__init__()
        hidden = channels * expansion
        self.conv1 = nn.Conv2d(channels, hidden, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(hidden)
        self.conv2 = nn.Conv2d(hidden, channels, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.act(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out = out + x
        return F.relu(out)

`;
}

function mlpBlock(i: number): string {
  return `class MLPBlock${i}(nn.Module):
    def __init__(self, dim=64, ratio=${2 + (i % 3)}, p=0.1):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, dim * ratio)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(dim * ratio, dim)
        self.drop = nn.Dropout(p)

    def forward(self, x):
        return x + self.drop(self.fc2(self.act(self.fc1(self.norm(x)))))

`;
}

function attentionBlock(i: number): string {
  return `class Attention${i}(nn.Module):
    def __init__(self, dim=64, heads=4):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, T, C = x.size()
        q = self.qkv(x)[:, :, :C].reshape(B, T, self.heads, self.head_dim).transpose(1, 2)
        k = self.qkv(x)[:, :, C:2 * C].reshape(B, T, self.heads, self.head_dim).transpose(1, 2)
        att = F.softmax((q @ k.transpose(-2, -1)) * self.head_dim ** -0.5, dim=-1)
        y = (att @ q).transpose(1, 2).contiguous().view(B, T, C)
        return x + self.proj(y)

`;
}

/** About `lines` lines of Python with many nn.Module classes and one entry model. */
export function generateManyModels(lines: number): string {
  let out = HEADER;
  let i = 0;
  while (out.split('\n').length < lines - 40) {
    out += [convBlock, mlpBlock, attentionBlock][i % 3](i);
    i++;
  }
  const blocks = Math.floor(i / 3);
  const convs = Array.from({ length: Math.min(blocks, 8) }, (_, k) => `            ConvBlock${3 * k}(32),`).join('\n');
  const mlps = Array.from({ length: Math.min(blocks, 8) }, (_, k) => `            MLPBlock${3 * k + 1}(64),\n            Attention${3 * k + 2}(64),`).join('\n');
  out += `class HybridNet(nn.Module):
    def __init__(self, num_classes=100):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True))
        self.convs = nn.Sequential(
${convs}
        )
        self.pool = nn.AdaptiveAvgPool2d((4, 4))
        self.embed = nn.Linear(32, 64)
        self.mixer = nn.Sequential(
${mlps}
        )
        self.head = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.pool(self.convs(self.stem(x)))
        x = x.flatten(2).transpose(1, 2)
        x = self.mixer(self.embed(x))
        return self.head(x.mean(1))


# memlens: entry=HybridNet() input=x:float32[B,3,32,32] batch=16
`;
  return out;
}
