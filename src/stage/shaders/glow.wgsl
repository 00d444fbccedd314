// A surface that shows its own colour: LED panels, light strips, the dark arena floor, and
// (added onto the picture) beams and lasers. Vertex colours, when the mesh has them, tint it.
#import bevy_pbr::forward_io::VertexOutput
#import bevy_pbr::mesh_view_bindings::view

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> colour: vec4<f32>;
// Metres from the eye over which the surface fades in (0 for solid surfaces), so a beam
// passing by the lens does not fill the picture.
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var<uniform> near: f32;

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    var out = colour;
#ifdef VERTEX_COLORS
    out *= in.color;
#endif
    if near > 0.0 {
        let distance = length(in.world_position.xyz - view.world_position);
        out = vec4(out.rgb * smoothstep(near * 0.25, near, distance), out.a);
    }
    return out;
}
